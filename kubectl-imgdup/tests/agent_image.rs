//! The agent image (Dockerfile + scripts/agent-image), built by a lab node's
//! real dockerd and run the way the agent pod runs it, scans the node exactly
//! as `kubectl imgdup node --local` does.
//!
//! Node: `dood.image`, an instance of dood of its own (building and running
//! an image changes the node's Docker store). Its pipeline image is also
//! imported into k3s's containerd, so the node has a true duplicate with
//! bytes to reclaim and the comparison is not of two empty reports.

use std::path::Path;

use serde_json::Value;

use crate::util::*;

/// Tears the instance down at the end, also when the test fails.
struct Instance(Scenario);

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.0.lab.command().args(["down", &self.0.name]).output();
    }
}

/// The pod `kubectl imgdup` would create on `node` (`--dry-run -o yaml`).
fn agent_pod(node: &str) -> Value {
    let out = cmd()
        .args(["--dry-run", node, "-o", "yaml"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .run();
    assert_exit(&out, 0);
    let text = stdout(&out);
    let pods: Vec<&str> = text
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .collect();
    assert_eq!(pods.len(), 1, "{text}");
    serde_yaml::from_str(pods[0]).unwrap()
}

/// `docker run` with the pod's command, args, read-only hostPath mounts and
/// security context (no capabilities, read-only root, no new privileges).
fn docker_run_like(pod: &Value) -> Vec<String> {
    let spec = &pod["spec"];
    let container = &spec["containers"][0];
    let sc = &container["securityContext"];
    assert_eq!(sc["capabilities"]["drop"][0], "ALL");
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    let mut run: Vec<String> = ["run", "--rm", "--network", "none", "--read-only"]
        .map(String::from)
        .into();
    run.extend(["--cap-drop", "ALL", "--security-opt", "no-new-privileges"].map(String::from));
    run.extend(["--user".into(), sc["runAsUser"].to_string()]);
    for mount in container["volumeMounts"].as_array().unwrap() {
        let volume = spec["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == mount["name"])
            .unwrap();
        assert_eq!(mount["readOnly"], true);
        let host = volume["hostPath"]["path"].as_str().unwrap();
        let at = mount["mountPath"].as_str().unwrap();
        run.extend(["-v".into(), format!("{host}:{at}:ro")]);
    }
    let command = container["command"].as_array().unwrap();
    assert_eq!(command.len(), 1, "{command:?}");
    run.extend(["--entrypoint".into(), command[0].as_str().unwrap().into()]);
    run.push(container["image"].as_str().unwrap().into());
    let args = container["args"].as_array().unwrap();
    run.extend(args.iter().map(|a| a.as_str().unwrap().to_string()));
    run
}

fn docker(lab: &Scenario, args: &[&str]) -> String {
    let out = lab.exec(Path::new("docker"), args);
    assert_exit(&out, 0);
    stdout(&out)
}

#[test]
fn the_agent_image_scans_a_node_as_node_local_does() {
    let binary = static_binary();
    let lab = Instance(Scenario::fresh("dood.image"));
    let lab = &lab.0;
    ctr_import(lab, "K3S_CONTAINERD", "k8s.io", "pipeline");

    // Built by the node's dockerd, tagged as the plugin's default --image.
    let pod = agent_pod(&lab.name);
    let image = pod["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        image,
        format!(
            "ghcr.io/imgdup/kubectl-imgdup:{}",
            env!("CARGO_PKG_VERSION")
        )
    );
    let script = testkit::lab::repo_root().join("scripts/agent-image");
    let out = lab.exec(&script, &["--binary", binary.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim(), image);

    // FROM scratch: one layer holding only the binary; OCI labels.
    let config = docker(lab, &["image", "inspect", &image]);
    let config: Value = serde_json::from_str(&config).unwrap();
    let config = &config[0];
    assert_eq!(config["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    assert_eq!(
        config["Config"]["Entrypoint"],
        serde_json::json!(["/kubectl-imgdup"])
    );
    let labels = &config["Config"]["Labels"];
    assert_eq!(
        labels["org.opencontainers.image.version"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(labels["org.opencontainers.image.licenses"], "Apache-2.0");
    let files = lab.sh(&format!(
        "docker save {image} | tar -xO --wildcards '*/layer.tar' | tar -t"
    ));
    assert_exit(&files, 0);
    assert_eq!(stdout(&files).trim(), "kubectl-imgdup");

    // Run as the pod runs it; the NodeReport is the container's stdout.
    let run = docker_run_like(&pod);
    let run: Vec<&str> = run.iter().map(String::as_str).collect();
    let out = lab.exec(Path::new("docker"), &run);
    assert_exit(&out, 0);
    let from_image = json(&out);
    assert_eq!(from_image["kind"], "NodeReport");

    let local = node_report(lab, &[]);
    assert_eq!(local["verdict"], "duplicate", "{local:#}");
    assert!(
        local["reclaimableBytes"].as_u64().unwrap() > MIB as u64,
        "{local:#}"
    );
    assert_eq!(
        serde_json::to_string_pretty(&figures(&from_image)).unwrap(),
        serde_json::to_string_pretty(&figures(&local)).unwrap(),
        "the image's report differs from node --local"
    );
}
