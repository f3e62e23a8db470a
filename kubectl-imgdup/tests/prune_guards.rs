//! `prune --local --yes` on the lab's real daemons: each guard keeps the
//! copy it protects (and says why), and nothing outside the plan moves.

use std::io::{Read, Write};
use std::process::Stdio;

use serde_json::Value;

use crate::util::*;

/// `kubectl imgdup prune --local ARGS` inside the node.
pub fn prune(lab: &Scenario, args: &[&str]) -> std::process::Output {
    let mut all = vec!["prune", "--local", "--node-name", &lab.name];
    all.extend_from_slice(args);
    lab.exec(&bin(), &all)
}

pub fn skipped<'a>(report: &'a Value, reason: &str) -> Vec<&'a Value> {
    let all = report["skipped"].as_array().unwrap();
    all.iter().filter(|s| s["reason"] == reason).collect()
}

/// Runs the prune on a terminal (util-linux `script`): when the terminal
/// shows `until`, calls `at` and types `answer` (if any); returns everything
/// the terminal showed and the exit code.
pub fn on_terminal(
    lab: &Scenario,
    args: &[&str],
    until: &str,
    at: impl FnOnce(),
    answer: Option<&str>,
) -> (String, i32) {
    let mut line = format!(
        "exec {} exec {} -- {} prune --local --node-name {}",
        testkit::lab::lab_script().display(),
        lab.name,
        bin().display(),
        lab.name
    );
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    // The lab command runs in script(1)'s terminal, so it comes as a line.
    let mut child = TestCommand::new("script")
        .args(["-qfec", &line, "/dev/null"])
        .command()
        .env("IMGDUP_LAB_DIR", lab.lab.dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot run script(1)");
    let mut out = child.stdout.take().unwrap();
    let mut shown = Vec::new();
    let mut chunk = [0u8; 256];
    while !String::from_utf8_lossy(&shown).contains(until) {
        let n = out.read(&mut chunk).unwrap();
        assert!(
            n > 0,
            "never showed {until:?}; the terminal showed:\n{}",
            String::from_utf8_lossy(&shown)
        );
        shown.extend_from_slice(&chunk[..n]);
    }
    at();
    let mut stdin = child.stdin.take().unwrap();
    if let Some(answer) = answer {
        stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
    }
    out.read_to_end(&mut shown).unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    let all = String::from_utf8_lossy(&shown).replace("\r\n", "\n");
    (all, status.code().unwrap_or(-1))
}

/// Answers the prompt with `answer` after calling `at`.
pub fn at_prompt(lab: &Scenario, args: &[&str], at: impl FnOnce(), answer: &str) -> (String, i32) {
    on_terminal(lab, args, "[y/N]", at, Some(answer))
}

/// The last JSON document a terminal showed (the PruneReport).
pub fn last_json(shown: &str) -> Value {
    let start = shown
        .rfind("{\n  \"apiVersion\"")
        .unwrap_or_else(|| panic!("no JSON in:\n{shown}"));
    serde_json::Deserializer::from_str(&shown[start..])
        .into_iter::<Value>()
        .next()
        .unwrap()
        .unwrap_or_else(|e| panic!("bad JSON ({e}) in:\n{shown}"))
}

#[test]
fn without_yes_and_without_a_terminal_nothing_changes() {
    let lab = Scenario::fresh("two-containerds.notty");
    let before = du_bytes(&lab, "/var/lib/containerd");
    let out = prune(&lab, &[]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("images rm --sync imgdup.test/app-a:1"),
        "{}",
        stdout(&out)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing removed: stdin is not a terminal; pass --yes"),
        "{err}"
    );
    assert_eq!(du_bytes(&lab, "/var/lib/containerd"), before);
    ctr(
        &lab,
        "CONTAINERD",
        "k8s.io",
        "images ls -q | grep -qx imgdup.test/app-a:1",
    );
    lab.down();
}

#[test]
fn a_no_at_the_prompt_removes_nothing_and_a_yes_removes() {
    let lab = Scenario::fresh("two-containerds.prompt");
    let before = du_bytes(&lab, "/var/lib/containerd");
    let (shown, code) = at_prompt(&lab, &[], || {}, "n");
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("Remove 1 copies, freeing 6.0 MiB? [y/N]"),
        "{shown}"
    );
    assert_eq!(du_bytes(&lab, "/var/lib/containerd"), before);
    let (shown, code) = at_prompt(&lab, &["-o", "json"], || {}, "y");
    assert_eq!(code, 0, "{shown}");
    let report = last_json(&shown);
    assert_eq!(report["totals"]["removed"], 1, "{report:#}");
    assert!(du_bytes(&lab, "/var/lib/containerd") < before);
    lab.down();
}

#[test]
fn containers_in_any_namespace_keep_their_copy() {
    let lab = Scenario::fresh("two-containerds.inuse");
    // The same image in a second namespace, used there by a stopped container.
    ctr_import(&lab, "CONTAINERD", "other", "app-a");
    ctr(
        &lab,
        "CONTAINERD",
        "other",
        "containers create imgdup.test/app-a:1 builder",
    );
    let before = du_bytes(&lab, "/var/lib/containerd");
    let out = prune(&lab, &["--yes", "-o", "json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(report["totals"]["removed"], 0, "{report:#}");
    let in_use = skipped(&report, "in-use");
    // Both copies of this containerd: ns other (the scan saw the container
    // there) and ns k8s.io (the guard asks every namespace).
    assert_eq!(in_use.len(), 2, "{report:#}");
    for s in &in_use {
        assert_eq!(
            s["containers"],
            serde_json::json!(["other/builder"]),
            "{s:#}"
        );
    }
    assert!(
        in_use
            .iter()
            .any(|s| s["store"] == "containerd:/var/lib/containerd#k8s.io")
    );
    assert_eq!(du_bytes(&lab, "/var/lib/containerd"), before);
    lab.down();
}

#[test]
fn docker_containers_running_or_stopped_keep_their_copy() {
    let lab = Scenario::fresh("containerd2.inuse");
    let docker = format!("docker -H unix://{}", lab.get("SOCK_DOCKERD"));
    let created = lab.sh(&format!(
        "{docker} create --name stopped-a imgdup.test/app-a:1"
    ));
    assert_exit(&created, 0);
    let before = du_bytes(&lab, "/var/lib/docker");
    let out = prune(&lab, &["--yes", "-o", "json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(report["totals"]["removed"], 0, "{report:#}");
    let in_use = skipped(&report, "in-use");
    assert_eq!(in_use.len(), 1, "{report:#}");
    assert_eq!(in_use[0]["containers"], serde_json::json!(["stopped-a"]));
    assert_eq!(du_bytes(&lab, "/var/lib/docker"), before);
    // A running one, started while the prune waits at its prompt: the
    // re-check before the removal sees it (the scan did not).
    let removed = lab.sh(&format!("{docker} rm stopped-a"));
    assert_exit(&removed, 0);
    let start = || {
        let run = lab.sh(&format!(
            "{docker} run -d --name running-a --network none imgdup.test/app-a:1 /bin/busybox sleep 600"
        ));
        assert_exit(&run, 0);
    };
    let (shown, code) = at_prompt(&lab, &["-o", "json"], start, "y");
    assert_eq!(code, 0, "{shown}");
    let report = last_json(&shown);
    assert_eq!(report["totals"]["removed"], 0, "{report:#}");
    assert_eq!(
        skipped(&report, "in-use")[0]["containers"],
        serde_json::json!(["running-a"])
    );
    let still = lab.sh(&format!(
        "{docker} image inspect imgdup.test/app-a:1 >/dev/null"
    ));
    assert_exit(&still, 0);
    lab.down();
}

#[test]
fn pinned_sandbox_and_excluded_images_stay() {
    let lab = Scenario::fresh("two-containerds.pinned");
    let present = || {
        ctr(
            &lab,
            "CONTAINERD",
            "k8s.io",
            "images ls -q | grep -qx imgdup.test/app-a:1",
        )
    };
    // --exclude
    let out = prune(
        &lab,
        &["--yes", "-o", "json", "--exclude", "imgdup.test/app-*"],
    );
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(skipped(&report, "excluded").len(), 1, "{report:#}");
    assert_eq!(report["totals"]["removed"], 0);
    present();
    // The CRI's pinned label.
    ctr(
        &lab,
        "CONTAINERD",
        "k8s.io",
        "images label imgdup.test/app-a:1 io.cri-containerd.pinned=pinned",
    );
    let report = json(&prune(&lab, &["--yes", "-o", "json"]));
    assert_eq!(skipped(&report, "pinned").len(), 1, "{report:#}");
    present();
    ctr(
        &lab,
        "CONTAINERD",
        "k8s.io",
        "images label imgdup.test/app-a:1 io.cri-containerd.pinned=",
    );
    // The pod sandbox image the real crictl reports for this containerd.
    let info = lab.sh(&format!(
        "crictl -r unix://{0} -i unix://{0} info",
        lab.get("SOCK_CONTAINERD")
    ));
    assert_exit(&info, 0);
    let info: Value = serde_json::from_slice(&info.stdout).unwrap();
    let sandbox = info["config"]["sandboxImage"].as_str().unwrap().to_string();
    ctr(
        &lab,
        "CONTAINERD",
        "k8s.io",
        &format!("images tag imgdup.test/app-a:1 {sandbox}"),
    );
    let report = json(&prune(&lab, &["--yes", "-o", "json"]));
    let kept = skipped(&report, "sandbox");
    assert_eq!(kept.len(), 1, "{report:#}");
    assert!(
        kept[0]["detail"].as_str().unwrap().contains(&sandbox),
        "{kept:#?}"
    );
    assert_eq!(report["totals"]["removed"], 0);
    present();
    lab.down();
}

#[test]
fn an_incomplete_copy_is_never_removed() {
    let lab = Scenario::fresh("containerd2.incomplete");
    // Docker's copy of app-a loses its top layer's directory.
    let diff_ids: Vec<String> = lab
        .get("IMAGE_DIFFIDS_APP_A")
        .split(' ')
        .map(str::to_string)
        .collect();
    let top = imgdup::inventory::chain_ids(&diff_ids).pop().unwrap();
    let hex = top.trim_start_matches("sha256:");
    let cache = lab.sh(&format!(
        "cat /var/lib/docker/image/overlay2/layerdb/sha256/{hex}/cache-id"
    ));
    assert_exit(&cache, 0);
    let gone = lab.sh(&format!(
        "rm -rf /var/lib/docker/overlay2/{}",
        stdout(&cache).trim()
    ));
    assert_exit(&gone, 0);
    let before = du_bytes(&lab, "/var/lib/docker");
    let out = prune(&lab, &["--yes", "-o", "json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    let kept = skipped(&report, "incomplete");
    assert_eq!(kept.len(), 1, "{report:#}");
    assert_eq!(kept[0]["store"], "dockerd:/var/lib/docker");
    assert_eq!(report["totals"]["removed"], 0);
    assert_eq!(du_bytes(&lab, "/var/lib/docker"), before);
    lab.down();
}
