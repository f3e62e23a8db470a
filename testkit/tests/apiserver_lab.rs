//! Pods that really run: on a lab node (inside the scenario's namespaces,
//! with its files mounted by hostPath) and on dir nodes. Covers the node's
//! files seen read-only, the real crictl-which reading the node's chain,
//! the hostPath type checks, readOnlyRootFilesystem, emptyDir, users,
//! capabilities, env fieldRefs and exec failures.

mod apiserver_support;

use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use apiserver_support::{Cluster, pod, repo_root};
use serde_json::{Value, json};
use testkit::lab::Scenario;

/// crictl-which is another package: build it once.
fn crictl_which() -> String {
    static BUILT: OnceLock<String> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let st = Command::new(cargo)
                .args(["build", "-q", "-p", "crictl-which"])
                .current_dir(repo_root())
                .status()
                .expect("cargo build");
            assert!(st.success(), "building crictl-which failed");
            repo_root()
                .join("target/debug/crictl-which")
                .display()
                .to_string()
        })
        .clone()
}

fn lab_cluster(extra_images: &str) -> (Cluster, Scenario) {
    let scn = Scenario::up("two-containerds");
    let c = Cluster::from_yaml(&format!(
        "nodes: [{{name: worker-1, lab: two-containerds}}]\nimages:\n{extra_images}"
    ));
    (c, scn)
}

fn host_mounts(paths: &[(&str, &str)]) -> (Value, Value) {
    let vols: Vec<Value> = paths
        .iter()
        .map(|(n, p)| json!({"name": n, "hostPath": {"path": p, "type": "Directory"}}))
        .collect();
    let mounts: Vec<Value> = paths
        .iter()
        .map(|(n, p)| json!({"name": n, "mountPath": format!("/host{p}"), "readOnly": true}))
        .collect();
    (json!(vols), json!(mounts))
}

#[test]
fn busybox_on_a_lab_node_sees_the_node_read_only() {
    let (c, scn) = lab_cluster("  {}\n");
    let marker = "lab-ls-marker-2f4";
    let (vols, mounts) = host_mounts(&[("run", "/run")]);
    let mut p = pod(
        "ls",
        "worker-1",
        "busybox",
        &[
            "sh",
            "-c",
            &format!("ls /host/run; touch /host/run/x 2>&1; cat /etc/hostname; echo {marker}"),
        ],
        json!({"volumes": vols}),
    );
    p["spec"]["containers"][0]["volumeMounts"] = mounts;
    let started = Instant::now();
    c.create_ok(&p);
    c.wait_phase("default", "ls", "Running", Duration::from_secs(20));
    let running = started.elapsed();
    c.wait_phase("default", "ls", "Succeeded", Duration::from_secs(20));
    eprintln!(
        "lab pod: Running after {running:?}, Succeeded after {:?}",
        started.elapsed()
    );
    let log = c.kubectl_ok(&["logs", "ls"]);
    let node_run: Vec<String> = std::fs::read_dir(format!("{}/run", scn.get("ROOT")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for name in ["containerd", "k3s"] {
        assert!(node_run.iter().any(|n| n == name), "{node_run:?}");
        assert!(log.lines().any(|l| l == name), "{log}");
    }
    assert!(
        log.contains("touch: /host/run/x: Read-only file system"),
        "{log}"
    );
    assert!(log.contains("\nls\n"), "hostname is the pod name: {log}");
    assert!(!std::path::Path::new(&format!("{}/run/x", scn.get("ROOT"))).exists());
    c.finish(&[marker]);
}

fn which_pod(name: &str, security: Value) -> Value {
    let paths = [
        ("run", "/run"),
        ("varlib", "/var/lib"),
        ("etc", "/etc"),
        ("proc", "/proc"),
    ];
    let (vols, mounts) = host_mounts(&paths);
    let mut p = pod(
        name,
        "worker-1",
        "imgdup.test/crictl-which:dev",
        &[
            "/crictl-which",
            "-o",
            "json",
            "--host-root",
            "/host",
            "--proc",
            "/host/proc",
        ],
        json!({"volumes": vols, "activeDeadlineSeconds": 60}),
    );
    p["spec"]["containers"][0]["volumeMounts"] = mounts;
    p["spec"]["containers"][0]["securityContext"] = security;
    p
}

#[test]
fn crictl_which_in_a_pod_reads_the_nodes_chain() {
    let bin = crictl_which();
    let (c, scn) = lab_cluster(&format!("  imgdup.test/crictl-which:dev: {bin}\n"));
    // The shape of the fan-out pod: all capabilities dropped, read-only root.
    let safe = json!({"capabilities": {"drop": ["ALL"]}, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "seccompProfile": {"type": "RuntimeDefault"}});
    c.create_ok(&which_pod("which", safe));
    let p = c.wait_pod("default", "which", Duration::from_secs(60), |p| {
        matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed"))
    });
    let log = c.kubectl_ok(&["logs", "which"]);
    assert_eq!(p["status"]["phase"], "Succeeded", "{log}");
    let chain: Value = serde_json::from_str(&log).expect("the Chain document");
    assert_eq!(chain["kind"], "Chain");
    assert_eq!(chain["hops"][0]["kind"], "containerd", "{chain}");
    assert_eq!(
        chain["hops"][0]["endpoint"],
        "unix:///run/containerd/containerd.sock"
    );
    // Without CAP_SYS_PTRACE, /host/proc/<pid>/fd of the daemons is not
    // readable: the socket's owner stays unknown.
    assert!(chain["hops"][0]["pid"].is_null(), "{chain}");
    // With it (not admitted by PodSecurity baseline), the pid is found.
    let ptrace = json!({"capabilities": {"drop": ["ALL"], "add": ["SYS_PTRACE"]}, "readOnlyRootFilesystem": true});
    c.create_ok(&which_pod("which-ptrace", ptrace));
    c.wait_phase(
        "default",
        "which-ptrace",
        "Succeeded",
        Duration::from_secs(60),
    );
    let chain: Value = serde_json::from_str(&c.kubectl_ok(&["logs", "which-ptrace"])).unwrap();
    assert_eq!(
        chain["hops"][0]["pid"],
        json!(scn.pid("PID_CONTAINERD")),
        "{chain}"
    );
    c.finish(&[]);
}

#[test]
fn missing_host_path_is_a_failed_mount() {
    let (c, scn) = lab_cluster("  {}\n");
    let vols = json!([{"name": "docker", "hostPath": {"path": "/var/lib/imgdup-not-here", "type": "Directory"}}]);
    let mut p = pod(
        "fm",
        "worker-1",
        "busybox",
        &["true"],
        json!({"volumes": vols}),
    );
    p["spec"]["containers"][0]["volumeMounts"] =
        json!([{"name": "docker", "mountPath": "/x", "readOnly": true}]);
    c.create_ok(&p);
    let deadline = Instant::now() + Duration::from_secs(10);
    let ev = loop {
        let ev = c.events("default", "fm");
        if ev.iter().any(|(r, _)| r == "FailedMount") || Instant::now() > deadline {
            break ev;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        ev.contains(&("FailedMount".into(), "MountVolume.SetUp failed for volume \"docker\" : hostPath type check failed: /var/lib/imgdup-not-here is not a directory".into())),
        "{ev:?}"
    );
    let p = c.pod("default", "fm").unwrap();
    assert_eq!(p["status"]["phase"], "Pending");
    assert_eq!(
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "ContainerCreating"
    );
    assert!(
        !std::path::Path::new(&format!("{}/var/lib/imgdup-not-here", scn.get("ROOT"))).exists(),
        "type Directory never creates"
    );
    c.finish(&[]);
}

#[test]
fn dir_node_volumes_users_env_and_start_errors() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/docker")).unwrap();
    std::fs::write(root.path().join("etc-file"), "node file\n").unwrap();
    let c = Cluster::start(
        serde_yaml::from_str(&format!(
            "nodes: [{{name: d1, dir: {}}}]",
            root.path().display()
        ))
        .unwrap(),
    );
    let script = "id -u; echo node=$NODE pod=$POD_NAME; ls /var/run/secrets/kubernetes.io/serviceaccount; cat /host/etc-file; \
                  touch /tmp/x 2>&1; touch /scratch/y && echo scratch-ok; ls -d /host/created; ls /host/var/lib";
    let vols = json!([
        {"name": "f", "hostPath": {"path": "/etc-file", "type": "File"}},
        {"name": "c", "hostPath": {"path": "/created", "type": "DirectoryOrCreate"}},
        {"name": "vl", "hostPath": {"path": "/var/lib"}},
        {"name": "s", "emptyDir": {}},
    ]);
    let mut p = pod(
        "v",
        "d1",
        "busybox",
        &["sh", "-c", script],
        json!({"volumes": vols, "automountServiceAccountToken": true, "securityContext": {"runAsUser": 1000}}),
    );
    p["spec"]["containers"][0]["volumeMounts"] = json!([
        {"name": "f", "mountPath": "/host/etc-file", "readOnly": true},
        {"name": "c", "mountPath": "/host/created"},
        {"name": "vl", "mountPath": "/host/var/lib", "readOnly": true},
        {"name": "s", "mountPath": "/scratch"},
    ]);
    p["spec"]["containers"][0]["securityContext"] = json!({"readOnlyRootFilesystem": true});
    p["spec"]["containers"][0]["env"] = json!([
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]);
    c.create_ok(&p);
    c.wait_phase("default", "v", "Succeeded", Duration::from_secs(20));
    let log = c.kubectl_ok(&["logs", "v"]);
    for want in [
        "1000\n",
        "node=d1 pod=v\n",
        "ca.crt\nnamespace\ntoken\n",
        "node file\n",
        "touch: /tmp/x: Read-only file system\n",
        "scratch-ok\n",
        "/host/created\n",
        "docker\n",
    ] {
        assert!(log.contains(want), "{want:?} not in:\n{log}");
    }
    assert!(
        root.path().join("created").is_dir(),
        "DirectoryOrCreate creates on the node"
    );
    // A command that is not in the image: StartError, exit 128.
    c.create_ok(&pod(
        "bad",
        "d1",
        "busybox",
        &["/no/such/binary"],
        json!({}),
    ));
    let p = c.wait_phase("default", "bad", "Failed", Duration::from_secs(20));
    let t = &p["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(
        (t["reason"].as_str(), t["exitCode"].as_i64()),
        (Some("StartError"), Some(128)),
        "{p}"
    );
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("exec: \"/no/such/binary\": stat /no/such/binary: No such file or directory"),
        "{t}"
    );
    // Exit codes pass through.
    c.create_ok(&pod(
        "three",
        "d1",
        "busybox",
        &["sh", "-c", "exit 3"],
        json!({}),
    ));
    let p = c.wait_phase("default", "three", "Failed", Duration::from_secs(20));
    assert_eq!(
        p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
        3
    );
    assert_eq!(
        p["status"]["containerStatuses"][0]["state"]["terminated"]["reason"],
        "Error"
    );
    c.finish(&[]);
}
