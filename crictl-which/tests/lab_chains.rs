//! The lab scenarios on real daemons: crictl-which, run inside each
//! simulated node, must give the exact chain, pids, roots and others.

use serde_json::Value;

use crate::util::*;

fn others_by_kind<'a>(chain: &'a Value, kind: &str) -> Vec<&'a Value> {
    chain["others"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == kind)
        .collect()
}

fn assert_confirmed(chain: &Value) {
    for hop in chain["hops"].as_array().unwrap() {
        assert_eq!(hop["confidence"], "confirmed", "{hop:#}");
        assert!(hop["error"].is_null(), "{hop:#}");
        let sources: Vec<&str> = hop["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["source"].as_str().unwrap())
            .collect();
        assert!(
            sources.contains(&"api") && sources.contains(&"process-cmdline"),
            "{sources:?}"
        );
    }
}

/// crictl's chain is one hop, k3s's containerd (pid and root checked); its hop.
fn k3s_containerd_hop<'a>(lab: &Scenario, chain: &'a Value) -> &'a Value {
    assert_eq!(
        chain["runtimeEndpoint"]["url"],
        "unix:///run/k3s/containerd/containerd.sock"
    );
    assert_eq!(hop_kinds(chain), ["containerd"]);
    let hop = &chain["hops"][0];
    assert_eq!(hop["pid"], lab.pid("PID_K3S_CONTAINERD"));
    assert_eq!(hop["root"], "/var/lib/rancher/k3s/agent/containerd");
    hop
}

#[test]
fn k3s_docker_is_one_store_behind_cri_dockerd() {
    let lab = Scenario::up("k3s-docker");
    let chain = chain_in(&lab, &[]);
    assert_eq!(chain["apiVersion"], "imgdup/v1");
    assert_eq!(chain["kind"], "Chain");
    assert_eq!(
        chain["runtimeEndpoint"]["url"],
        "unix:///run/k3s/cri-dockerd/cri-dockerd.sock"
    );
    assert_eq!(chain["runtimeEndpoint"]["source"], "config-file");
    assert_eq!(
        chain["imageEndpoint"]["url"],
        "unix:///run/k3s/cri-dockerd/cri-dockerd.sock"
    );
    assert_eq!(hop_kinds(&chain), ["cri-dockerd", "dockerd", "containerd"]);
    let hops = chain["hops"].as_array().unwrap();
    assert_eq!(hops[0]["pid"], lab.pid("PID_CRI_DOCKERD"));
    assert_eq!(hops[0]["apiVersion"], "v1");
    assert_eq!(hops[1]["pid"], lab.pid("PID_DOCKERD"));
    assert_eq!(hops[1]["endpoint"], "unix:///var/run/docker.sock");
    assert_eq!(hops[1]["root"], "/var/lib/docker");
    assert_eq!(hops[1]["driver"], "overlay2");
    assert_eq!(hops[2]["pid"], lab.pid("PID_CONTAINERD"));
    assert_eq!(
        hops[2]["endpoint"],
        "unix:///run/containerd/containerd.sock"
    );
    assert_eq!(hops[2]["namespace"], "moby");
    assert_eq!(hops[2]["root"], "/var/lib/containerd");
    assert_confirmed(&chain);
    assert_eq!(chain["store"]["path"], "/var/lib/docker/overlay2");
    assert_eq!(chain["store"]["runtime"], "dockerd");
    assert_eq!(
        chain["others"],
        Value::Array(vec![]),
        "nothing else runs on this node"
    );
    assert_eq!(chain["k3sCrictl"]["sameAsCrictl"], true);
}

#[test]
fn runtime_switch_shows_the_leftover_docker_store() {
    let lab = Scenario::up("runtime-switch");
    let chain = chain_in(&lab, &[]);
    let hop = k3s_containerd_hop(&lab, &chain);
    assert_eq!(hop["namespace"], "k8s.io");
    assert!(
        hop["cmdline"]
            .as_str()
            .unwrap()
            .contains("--root /var/lib/rancher/k3s/agent/containerd")
    );
    assert_confirmed(&chain);
    assert_eq!(
        chain["store"]["path"],
        "/var/lib/rancher/k3s/agent/containerd"
    );
    assert_eq!(chain["store"]["namespace"], "k8s.io");
    let docker = others_by_kind(&chain, "dockerd");
    assert_eq!(docker.len(), 1, "{:#}", chain["others"]);
    assert_eq!(docker[0]["root"], "/var/lib/docker");
    assert_eq!(docker[0]["running"], false);
    let containerd = others_by_kind(&chain, "containerd");
    assert_eq!(containerd.len(), 1, "{:#}", chain["others"]);
    assert_eq!(containerd[0]["root"], "/var/lib/containerd");
    assert_eq!(containerd[0]["running"], false);
}

#[test]
fn containerd2_is_k3s_containerd_2x_beside_dockers_containerd_1_6() {
    let lab = Scenario::up("containerd2");
    let chain = chain_in(&lab, &[]);
    let hop = k3s_containerd_hop(&lab, &chain);
    assert!(
        hop["version"].as_str().unwrap().starts_with("v2."),
        "the real containerd 2.x: {hop:#}"
    );
    assert_eq!(hop["namespace"], "k8s.io");
    assert_confirmed(&chain);
    assert_eq!(
        chain["store"]["path"],
        "/var/lib/rancher/k3s/agent/containerd"
    );
    // Docker and its containerd 1.6 run beside it, off crictl's chain.
    let docker = others_by_kind(&chain, "dockerd");
    assert_eq!(docker.len(), 1, "{:#}", chain["others"]);
    assert_eq!(
        (&docker[0]["root"], &docker[0]["running"]),
        (&"/var/lib/docker".into(), &true.into())
    );
    let containerd = others_by_kind(&chain, "containerd");
    assert_eq!(containerd.len(), 1, "{:#}", chain["others"]);
    assert_eq!(containerd[0]["root"], "/var/lib/containerd");
    assert_eq!(containerd[0]["pid"], lab.pid("PID_CONTAINERD"));
}

#[test]
fn two_containerds_crictl_defaults_to_the_system_one_and_k3s_crictl_differs() {
    let lab = Scenario::up("two-containerds");
    let chain = chain_in(&lab, &[]);
    assert_eq!(chain["runtimeEndpoint"]["source"], "default");
    assert_eq!(
        chain["runtimeEndpoint"]["url"],
        "unix:///run/containerd/containerd.sock"
    );
    assert_eq!(chain["probes"][0]["ok"], true);
    assert_eq!(hop_kinds(&chain), ["containerd"]);
    assert_eq!(chain["hops"][0]["pid"], lab.pid("PID_CONTAINERD"));
    assert_eq!(chain["hops"][0]["root"], "/var/lib/containerd");
    assert_confirmed(&chain);
    assert_eq!(chain["store"]["path"], "/var/lib/containerd");
    let others = others_by_kind(&chain, "containerd");
    assert_eq!(others.len(), 1, "{:#}", chain["others"]);
    assert_eq!(others[0]["root"], "/var/lib/rancher/k3s/agent/containerd");
    assert_eq!(others[0]["running"], true);
    assert_eq!(others[0]["pid"], lab.pid("PID_K3S_CONTAINERD"));
    assert!(
        others[0]["namespaces"]
            .as_array()
            .unwrap()
            .contains(&Value::from("k8s.io"))
    );
    assert_eq!(
        chain["k3sCrictl"]["configFile"],
        "/var/lib/rancher/k3s/agent/etc/crictl.yaml"
    );
    assert_eq!(
        chain["k3sCrictl"]["runtimeEndpoint"],
        "unix:///run/k3s/containerd/containerd.sock"
    );
    assert_eq!(chain["k3sCrictl"]["sameAsCrictl"], false);
    let warnings = chain["warnings"].to_string();
    assert!(
        warnings.contains(
            "pin it: crictl config --set runtime-endpoint=unix:///run/containerd/containerd.sock"
        ),
        "{warnings}"
    );
    assert!(warnings.contains("k3s crictl"), "{warnings}");
}

#[test]
fn dood_lists_host_docker_as_another_runtime() {
    let lab = Scenario::up("dood");
    let chain = chain_in(&lab, &[]);
    assert_eq!(hop_kinds(&chain), ["containerd"]);
    assert_eq!(chain["hops"][0]["pid"], lab.pid("PID_K3S_CONTAINERD"));
    assert_eq!(
        chain["store"]["path"],
        "/var/lib/rancher/k3s/agent/containerd"
    );
    let docker = others_by_kind(&chain, "dockerd");
    assert_eq!(docker.len(), 1, "{:#}", chain["others"]);
    assert_eq!(
        (&docker[0]["root"], &docker[0]["running"], &docker[0]["pid"]),
        (
            &Value::from("/var/lib/docker"),
            &Value::from(true),
            &Value::from(lab.pid("PID_DOCKERD"))
        )
    );
    let containerd = others_by_kind(&chain, "containerd");
    assert_eq!(containerd.len(), 1, "{:#}", chain["others"]);
    assert_eq!(containerd[0]["root"], "/var/lib/containerd");
    assert_eq!(
        (&containerd[0]["running"], &containerd[0]["pid"]),
        (&Value::from(true), &Value::from(lab.pid("PID_CONTAINERD")))
    );
}

#[test]
fn text_output_is_one_line_per_hop() {
    let lab = Scenario::up("k3s-docker");
    let out = lab.exec(&bin(), &[]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let hop_lines: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("#  KIND"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(hop_lines.len(), 3, "{text}");
    assert!(
        hop_lines[0].contains("cri-dockerd")
            && hop_lines[1].contains("dockerd")
            && hop_lines[2].contains("moby"),
        "{text}"
    );
    assert!(text.contains("STORE  /var/lib/docker/overlay2"), "{text}");
}

#[test]
fn yaml_output_is_the_same_document() {
    let lab = Scenario::up("dood");
    let json = chain_in(&lab, &[]);
    let out = lab.exec(&bin(), &["-o", "yaml"]);
    assert_exit(&out, 0);
    let yaml: serde_json::Value = serde_yaml::from_slice(&out.stdout).unwrap();
    assert_eq!(yaml["apiVersion"], "imgdup/v1");
    assert_eq!(yaml["hops"][0]["root"], json["hops"][0]["root"]);
}

#[test]
fn offline_mode_proves_the_chain_from_processes_alone() {
    let lab = Scenario::up("k3s-docker");
    let chain = chain_in(&lab, &["--offline"]);
    assert_eq!(hop_kinds(&chain), ["cri-dockerd", "dockerd", "containerd"]);
    for hop in chain["hops"].as_array().unwrap() {
        let sources = hop["evidence"].to_string();
        assert!(
            !sources.contains("\"api\""),
            "offline must not dial: {sources}"
        );
    }
    assert_eq!(chain["hops"][1]["pid"], lab.pid("PID_DOCKERD"));
    assert_eq!(chain["hops"][2]["root"], "/var/lib/containerd");
}

#[test]
fn the_runtime_flag_overrides_the_config_inside_the_node() {
    let lab = Scenario::up("dood");
    let out = lab.exec(
        &bin(),
        &["-o", "json", "-r", "unix:///run/containerd/containerd.sock"],
    );
    assert_exit(&out, 1);
    let chain: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(chain["runtimeEndpoint"]["source"], "flag");
    assert!(
        stderr(&out).contains("does not serve CRI v1"),
        "{}",
        stderr(&out)
    );
    // Docker's containerd has CRI disabled: a clear error, not a wrong chain.
    let err = chain["hops"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(err.contains("does not serve CRI v1"), "{err}");
}
