//! `prune --remove-leftover-store`: the runtime-switch leftover
//! (/var/lib/docker, Docker stopped, k3s's containerd running) is removed
//! whole only when nothing uses it. Each guard is made real on its own
//! fresh node, and each refusal leaves the store byte for byte.

use std::process::Output;

use crate::util::*;

const DOCKER: &str = "/var/lib/docker";

/// A fresh runtime-switch node. dockerd bind-mounts its root onto itself
/// and this one left the mount behind; `clean` unmounts it, as a person
/// told so by the mount guard would.
fn leftover_node(name: &str, clean: bool) -> Scenario {
    let lab = Scenario::fresh(name);
    if clean {
        assert_exit(&lab.sh("umount /var/lib/docker"), 0);
    }
    lab
}

fn prune(lab: &Scenario, path: &str, yes: bool) -> Output {
    let mut args = vec!["prune", "--local", "--node-name", &lab.name];
    if yes {
        args.push("--yes");
    }
    args.extend(["--remove-leftover-store", path, "-o", "json"]);
    lab.exec(&bin(), &args)
}

/// Runs a command line in the background inside the node; its pid there.
fn spawn(lab: &Scenario, script: &str) -> u32 {
    let out = lab.sh(&format!(
        "setsid sh -c '{script}' </dev/null >/dev/null 2>&1 & echo $!"
    ));
    assert_exit(&out, 0);
    stdout(&out).trim().parse().unwrap()
}

/// Waits until `test` (a shell condition) holds inside the node.
fn wait_for(lab: &Scenario, test: &str) {
    let out = lab.sh(&format!(
        "for i in $(seq 150); do {test} && exit 0; sleep 0.2; done; exit 1"
    ));
    assert_exit(&out, 0);
}

/// The removal of `path` is refused: exit 1, nothing on stdout, stderr
/// names every part of `expected`, and /var/lib/docker is untouched.
#[track_caller]
fn assert_refused(lab: &Scenario, path: &str, expected: &[&str]) -> String {
    let before = du_bytes(lab, DOCKER);
    let started = std::time::Instant::now();
    let out = prune(lab, path, true);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}\n{}", stdout(&out));
    assert!(out.stdout.is_empty(), "stdout: {}", stdout(&out));
    assert!(stderr.starts_with("kubectl-imgdup: "), "{stderr}");
    for part in expected {
        assert!(stderr.contains(part), "stderr lacks {part:?}: {stderr}");
    }
    assert_eq!(du_bytes(lab, DOCKER), before, "a refusal changed {DOCKER}");
    eprintln!("refused in {:?}: {stderr}", started.elapsed());
    stderr
}

#[test]
fn a_leftover_store_is_removed_whole_and_measured() {
    let started = std::time::Instant::now();
    let lab = leftover_node("runtime-switch.leftover", true);
    eprintln!("fresh runtime-switch node up in {:?}", started.elapsed());
    let report = node_report(&lab, &[]);
    let docker = store(&report, "dockerd", DOCKER);
    assert_eq!(
        (&docker["live"], &docker["active"]),
        (&false.into(), &false.into())
    );
    let predicted = docker["diskBytes"].as_u64().unwrap();

    // Without --yes the checks run and nothing goes.
    let before = du_bytes(&lab, DOCKER);
    let dry = prune(&lab, DOCKER, false);
    assert_exit(&dry, 0);
    let said = String::from_utf8_lossy(&dry.stderr);
    assert!(
        said.contains("nothing removed: stdin is not a terminal"),
        "{said}"
    );
    assert!(
        said.contains("Remove the whole leftover store /var/lib/docker"),
        "{said}"
    );
    assert!(
        stdout(&dry).contains("remove the whole leftover store /var/lib/docker"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(du_bytes(&lab, DOCKER), before);

    let out = prune(&lab, DOCKER, true);
    assert_exit(&out, 0);
    let doc = json(&out);
    let removed = &doc["leftoverStores"][0];
    assert_eq!(
        doc["leftoverStores"].as_array().unwrap().len(),
        1,
        "{doc:#}"
    );
    assert_eq!(removed["path"], DOCKER);
    assert_eq!(removed["predictedBytes"], predicted);
    let measured = removed["measuredBytes"].as_u64().unwrap();
    assert_close(
        measured,
        before as f64,
        1.0,
        0.0,
        "measuredBytes vs du -sxB1",
    );
    assert!(removed["freeBytesDelta"].as_i64().unwrap() > 0, "{doc:#}");
    let checks: Vec<&str> = removed["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for condition in [
        "offline and not active",
        "no dockerd process runs on /var/lib/docker",
        "nothing answers on /run/docker.sock",
        "no running runtime's root is, holds or lies inside",
        "no process has a file open or mapped under",
        "no process has its working or root directory under",
        "nothing is mounted under",
    ] {
        assert!(
            checks.iter().any(|c| c.contains(condition)),
            "{condition}: {checks:#?}"
        );
    }
    let local = format!("{}{DOCKER}", lab.get("ROOT"));
    assert!(
        !std::path::Path::new(&local).exists(),
        "{local} is still there"
    );
    // The rescan knows no Docker store any more; the active store stays.
    let again = node_report(&lab, &[]);
    let stores = again["stores"].as_array().unwrap();
    assert!(stores.iter().all(|s| s["path"] != DOCKER), "{again:#}");
    store(
        &again,
        "containerd",
        "/var/lib/rancher/k3s/agent/containerd",
    );
    lab.down();
}

#[test]
fn only_the_exact_root_of_an_offline_store_is_taken() {
    let lab = leftover_node("runtime-switch.leftover-roots", true);
    let offline = "Offline stores here: /var/lib/docker";
    assert_refused(
        &lab,
        "/var/lib/docker/overlay2",
        &["is not the root of any store", offline],
    );
    assert_refused(
        &lab,
        "var/lib/docker",
        &["is not the root of any store", offline],
    );
    let k3s = "/var/lib/rancher/k3s/agent/containerd";
    let stderr = assert_refused(&lab, k3s, &["is the active store", offline]);
    assert!(stderr.contains(&format!("containerd:{k3s}")), "{stderr}");
    assert!(std::path::Path::new(&format!("{}{k3s}", lab.get("ROOT"))).is_dir());
    lab.down();
}

#[test]
fn a_dockerd_running_on_the_root_refuses() {
    let lab = leftover_node("runtime-switch.leftover-dockerd", true);
    // Docker back on its old root, as the lab first started it; then hung
    // (SIGSTOP), so the scan finds it silent and the store offline.
    spawn(&lab, "exec /usr/bin/containerd");
    wait_for(&lab, "test -S /run/containerd/containerd.sock");
    let dockerd = spawn(
        &lab,
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin exec dockerd --containerd=/run/containerd/containerd.sock -H unix:///var/run/docker.sock --iptables=false --bridge=none",
    );
    wait_for(
        &lab,
        "docker -H unix:///var/run/docker.sock info >/dev/null 2>&1",
    );
    assert_exit(&lab.sh(&format!("kill -STOP {dockerd}")), 0);
    let report = node_report(&lab, &[]);
    assert_eq!(
        store(&report, "dockerd", DOCKER)["live"],
        false,
        "{report:#}"
    );
    let pid = format!("dockerd (pid {dockerd})");
    assert_refused(
        &lab,
        DOCKER,
        &[
            &pid,
            "which is running",
            "default data-root /var/lib/docker",
        ],
    );
    assert_exit(&lab.sh(&format!("kill -KILL {dockerd}")), 0);
    lab.down();
}

#[test]
fn a_socket_answering_for_the_runtime_refuses() {
    let lab = leftover_node("runtime-switch.leftover-socket", true);
    // Something holds Docker's socket and accepts, but says nothing.
    let listener = spawn(
        &lab,
        "exec python3 -c \"import socket,time; s=socket.socket(socket.AF_UNIX); s.bind(\\\"/run/docker.sock\\\"); s.listen(); time.sleep(300)\"",
    );
    wait_for(&lab, "test -S /run/docker.sock");
    assert_refused(
        &lab,
        DOCKER,
        &[
            "something answers on /run/docker.sock",
            "it accepts connections",
        ],
    );
    assert_exit(&lab.sh(&format!("kill {listener}")), 0);
    lab.down();
}

#[test]
fn a_runtime_whose_root_lies_inside_refuses() {
    let lab = leftover_node("runtime-switch.leftover-root", true);
    // Docker's managed containerd, left running on its root under Docker's.
    let config = "version = 2\nroot = \"/var/lib/docker/containerd/daemon\"\nstate = \"/run/leftover-ctr\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\naddress = \"/run/leftover-ctr/containerd.sock\"\n";
    std::fs::write(format!("{}/etc/leftover-ctr.toml", lab.get("ROOT")), config).unwrap();
    let containerd = spawn(&lab, "exec /usr/bin/containerd -c /etc/leftover-ctr.toml");
    wait_for(&lab, "test -S /run/leftover-ctr/containerd.sock");
    let pid =
        format!("containerd (pid {containerd}) runs with root /var/lib/docker/containerd/daemon");
    assert_refused(
        &lab,
        DOCKER,
        &[
            &pid,
            "root = /var/lib/docker/containerd/daemon in /etc/leftover-ctr.toml",
            "lies inside",
        ],
    );
    lab.down();
}

#[test]
fn a_process_with_a_file_or_directory_in_the_root_refuses() {
    let lab = leftover_node("runtime-switch.leftover-procs", true);
    let file = "/var/lib/docker/image/overlay2/repositories.json";
    let reader = spawn(&lab, &format!("exec sleep 300 <{file}"));
    wait_for(
        &lab,
        &format!("ls -l /proc/{reader}/fd | grep -q repositories.json"),
    );
    let who = format!("sleep (pid {reader}) has {file} open (fd 0)");
    assert_refused(&lab, DOCKER, &[&who]);
    assert_exit(&lab.sh(&format!("kill {reader}")), 0);

    let dir = "/var/lib/docker/image/overlay2";
    let sitter = spawn(&lab, &format!("cd {dir} && exec sleep 300"));
    wait_for(
        &lab,
        &format!("test $(readlink /proc/{sitter}/cwd) = {dir}"),
    );
    let who = format!("sleep (pid {sitter}) has its working directory at {dir}");
    assert_refused(&lab, DOCKER, &[&who]);
    assert_exit(&lab.sh(&format!("kill {sitter}")), 0);

    // A program run from inside the store: mapped, not an fd.
    let copy = "mkdir /var/lib/docker/leftover && cp /bin/busybox /var/lib/docker/leftover/busybox";
    assert_exit(&lab.sh(copy), 0);
    let mapper = spawn(&lab, "exec /var/lib/docker/leftover/busybox sleep 300");
    wait_for(
        &lab,
        &format!("grep -q leftover/busybox /proc/{mapper}/maps"),
    );
    let who =
        format!("(pid {mapper}) has /var/lib/docker/leftover/busybox open (mapped into memory)");
    assert_refused(&lab, DOCKER, &[&who]);
    assert_exit(&lab.sh(&format!("kill {mapper}")), 0);
    lab.down();
}

#[test]
fn a_mount_in_or_over_the_root_refuses() {
    let lab = leftover_node("runtime-switch.leftover-mounts", false);
    // dockerd's own bind mount of its root, left by the lab's dockerd.
    assert_refused(
        &lab,
        DOCKER,
        &["bind-mounted onto itself", "umount /var/lib/docker"],
    );
    assert_exit(&lab.sh("umount /var/lib/docker"), 0);

    let mnt = "/var/lib/docker/leftover-tmpfs";
    assert_exit(
        &lab.sh(&format!("mkdir {mnt} && mount -t tmpfs leftover {mnt}")),
        0,
    );
    assert_refused(&lab, DOCKER, &["tmpfs leftover is mounted under it", mnt]);
    assert_exit(&lab.sh(&format!("umount {mnt}")), 0);

    let ovl = "mkdir -p /run/ovl/u /run/ovl/w /run/ovl/m && mount -t overlay overlay -o lowerdir=/var/lib/docker/image,upperdir=/run/ovl/u,workdir=/run/ovl/w /run/ovl/m";
    assert_exit(&lab.sh(ovl), 0);
    assert_refused(
        &lab,
        DOCKER,
        &[
            "overlay mount has lowerdir=/var/lib/docker/image",
            "/run/ovl/m",
        ],
    );
    assert_exit(&lab.sh("umount /run/ovl/m"), 0);
    let upper = "mkdir -p /var/lib/docker/ovl-u /var/lib/docker/ovl-w && mount -t overlay overlay -o lowerdir=/run/ovl/u,upperdir=/var/lib/docker/ovl-u,workdir=/var/lib/docker/ovl-w /run/ovl/m";
    assert_exit(&lab.sh(upper), 0);
    assert_refused(&lab, DOCKER, &["upperdir=/var/lib/docker/ovl-u"]);
    assert_exit(&lab.sh("umount /run/ovl/m"), 0);

    let bind = "mkdir -p /run/view && mount --bind /var/lib/docker/image /run/view";
    assert_exit(&lab.sh(bind), 0);
    assert_refused(
        &lab,
        DOCKER,
        &[
            "a bind mount shows",
            "/var/lib/docker/image of it elsewhere",
            "/run/view",
        ],
    );
    assert_exit(&lab.sh("umount /run/view"), 0);
    lab.down();
}
