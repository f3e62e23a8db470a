//! What real kubelets do when things go wrong: a kubelet killed mid-run, an
//! image no node can pull, and the plugin itself killed (SIGKILL), where
//! only the pods' own `activeDeadlineSeconds` ends them. Also: the requests
//! the plugin counts (`-v`) are the ones the apiserver's audit log records.

use std::process::Stdio;

use super::*;

/// A kubelet dies while the run waits on it: its node is `unknown` with a
/// reason naming the dead kubelet (read from its Lease) soon after the
/// pending timeout, and the other node reports.
#[test]
fn a_kubelet_killed_mid_run_makes_its_node_unknown_node_lost() {
    let lab = lab();
    // One pod at a time: two-containerds' pod is created after dood's, by
    // which time its kubelet is dead.
    let started = Instant::now();
    let run = lab
        .imgdup_command(
            None,
            &[
                "dood",
                "two-containerds",
                "-n",
                "imgdup",
                "-o",
                "json",
                "--concurrency",
                "1",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(30), "dood's agent pod", || {
        lab.our_pods() > 0
    });
    lab.cluster.kill_kubelet("two-containerds");
    let out = run.wait_with_output().unwrap();
    let took = started.elapsed();
    let left = lab.our_pods();
    lab.cluster.restart_kubelet("two-containerds");
    assert_exit(&out, 4);
    let verdicts = crate::util::sim::verdicts(&out);
    assert_eq!(verdicts["dood"], "split");
    assert!(
        verdicts["two-containerds"].starts_with(
            "unknown NodeLost: the kubelet on two-containerds has not renewed its lease for"
        ),
        "{verdicts:?}"
    );
    // The 30 s pending timeout, plus the run's own steps.
    assert!(took < Duration::from_secs(50), "{took:?}");
    assert_eq!(left, 0, "the dead node's pod is deleted too");
}

/// An image no node has and no registry serves: the kubelet's own waiting
/// reason, within the pending timeout.
#[test]
fn an_image_that_cannot_be_pulled_is_named() {
    let lab = lab();
    let out = lab.imgdup(
        None,
        &[
            "dood",
            "-n",
            "imgdup",
            "-o",
            "json",
            "--image",
            "imgdup.test/not-there:1",
            "--pending-timeout",
            "15s",
        ],
    );
    assert_exit(&out, 4);
    let verdict = &crate::util::sim::verdicts(&out)["dood"];
    assert!(
        (verdict.starts_with("unknown ErrImagePull: ")
            || verdict.starts_with("unknown ImagePullBackOff: "))
            && verdict.contains("cannot pull \"imgdup.test/not-there:1\"")
            && verdict.contains("pass --image")
            && verdict.contains("--agent-binary"),
        "{verdict}"
    );
    assert_eq!(lab.our_pods(), 0);
}

/// SIGKILL leaves the pods (nothing of the plugin runs). Air-gapped shell
/// pods wait for their upload, so they are still there at the deadline: the
/// real kubelet ends them (`DeadlineExceeded`), and `cleanup` removes them.
#[test]
fn after_sigkill_the_kubelet_ends_the_pods_at_their_deadline_and_cleanup_removes_them() {
    let lab = lab();
    let mut child = lab
        .imgdup_command(
            None,
            &airgapped(&[
                "dood",
                "runtime-switch",
                "-n",
                "imgdup",
                // activeDeadlineSeconds: 1 + 60.
                "--timeout",
                "1s",
            ]),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(30), "two agent pods", || {
        lab.our_pods() == 2
    });
    // kubectl runs the plugin as its child; kill both.
    let plugin =
        std::fs::read_to_string(format!("/proc/{}/task/{}/children", child.id(), child.id()))
            .unwrap_or_default();
    for pid in plugin
        .split_whitespace()
        .chain([child.id().to_string().as_str()])
    {
        let _ = Command::new("kill").args(["-KILL", pid]).status();
    }
    let _ = child.wait();
    assert_eq!(lab.our_pods(), 2, "SIGKILL leaves the pods");
    let phases = || {
        let out = lab.kubectl(&[
            "get",
            "pods",
            "-n",
            "imgdup",
            "-l",
            "app.kubernetes.io/managed-by=kubectl-imgdup",
            "-o",
            "json",
        ]);
        json(&out)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                assert_eq!(p["spec"]["activeDeadlineSeconds"], 61);
                format!("{} {}", p["status"]["phase"], p["status"]["reason"])
            })
            .collect::<Vec<_>>()
    };
    wait_for(
        Duration::from_secs(120),
        "DeadlineExceeded on both pods",
        || phases() == ["\"Failed\" \"DeadlineExceeded\""; 2],
    );
    let dry = lab.imgdup(None, &["cleanup", "--dry-run"]);
    assert_exit(&dry, 0);
    assert_eq!(
        stdout(&dry).matches("would be deleted").count(),
        2,
        "{}",
        stdout(&dry)
    );
    let out = lab.imgdup(None, &["cleanup"]);
    assert_exit(&out, 0);
    assert_eq!(lab.our_pods(), 0);
}

/// `-v`'s counters, by the plugin's own verbs, equal what the apiserver's
/// audit log recorded for the run's user.
#[test]
fn the_verbose_counters_match_the_apiservers_audit_log() {
    let lab = lab();
    let mark = lab.audit_mark();
    let out = lab.imgdup(None, &["-n", "imgdup", "-o", "json", "-v"]);
    assert_exit(&out, 0);
    let mut counted = crate::util::sim::api_calls(&out);
    let map = counted.as_object_mut().unwrap();
    map.remove("retries");
    map.remove("maxPerNode");
    let mut audited = serde_json::Map::new();
    for request in lab.requests_since(&mark, "imgdup-lab-admin") {
        let verb = match request.as_str() {
            "create selfsubjectaccessreviews" | "create pods dryRun" => "preflight",
            "create pods" => "create",
            "get pods/log" => "log",
            "delete pods" | "deletecollection pods" => "delete",
            r if r.starts_with("list ") => "list",
            r if r.starts_with("watch ") => "watch",
            r if r.starts_with("get ") => "get",
            other => panic!("an unexpected request: {other}"),
        };
        let n = audited.entry(verb).or_insert(0.into());
        *n = (n.as_u64().unwrap() + 1).into();
    }
    for (verb, n) in map.iter() {
        assert_eq!(
            audited.get(verb).cloned().unwrap_or(0.into()),
            *n,
            "{verb}: -v says {n}, the audit log {audited:?}"
        );
    }
    assert_eq!(lab.our_pods(), 0);
}
