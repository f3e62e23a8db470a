//! Which crictl config file is read: explicit vs default, crictl's exe-dir
//! fallback, relative and empty paths, broken files, the host root.
use super::tests::{A, B, Node, env};
use std::path::Path;

use super::*;

#[test]
fn an_explicit_missing_config_is_fatal_the_default_one_is_not() {
    let node = Node::new();
    let e = node
        .resolve(&CrictlInputs {
            config_flag: Some("/etc/nope.yaml".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(&e, EndpointError::ConfigFile { path, .. } if path == Path::new("/etc/nope.yaml")),
        "{e}"
    );
    assert!(e.to_string().contains("does not exist"), "{e}");
    let e = node
        .resolve(&CrictlInputs {
            env: env(&[(ENV_CONFIG, "/etc/nope.yaml")]),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(e, EndpointError::ConfigFile { .. }));
    let r = node.resolve(&CrictlInputs::default()).unwrap();
    assert_eq!(
        r.config.note.as_deref(),
        Some("/etc/crictl.yaml does not exist")
    );
}

#[test]
fn config_flag_beats_config_env() {
    let node = Node::new();
    node.write("/etc/one.yaml", &format!("runtime-endpoint: {A}\n"));
    node.write("/etc/two.yaml", &format!("runtime-endpoint: {B}\n"));
    let inputs = CrictlInputs {
        config_flag: Some("/etc/one.yaml".into()),
        env: env(&[(ENV_CONFIG, "/etc/two.yaml")]),
        ..Default::default()
    };
    assert_eq!(
        node.resolve(&inputs).unwrap().runtime.url.as_deref(),
        Some(A)
    );
    let inputs = CrictlInputs {
        config_flag: None,
        ..inputs
    };
    let r = node.resolve(&inputs).unwrap();
    assert_eq!(r.runtime.url.as_deref(), Some(B));
    assert_eq!(r.config.requested_source, Source::Env);
}

#[test]
fn a_missing_config_falls_back_to_the_crictl_binary_dir() {
    let node = Node::new();
    node.write(
        "/usr/local/bin/crictl.yaml",
        &format!("runtime-endpoint: {A}\n"),
    );
    let inputs = CrictlInputs {
        crictl_dir: Some("/usr/local/bin".into()),
        ..Default::default()
    };
    let r = node.resolve(&inputs).unwrap();
    assert_eq!(
        r.config.loaded.as_deref(),
        Some(Path::new("/usr/local/bin/crictl.yaml"))
    );
    assert_eq!(r.runtime.url.as_deref(), Some(A));
}

// Found by crictl-which/tests/real_crictl.rs: crictl's exe dir is
// `os.Executable()`, which resolves symlinks.
#[test]
fn a_symlinked_crictl_falls_back_to_the_dir_of_its_target() {
    let node = Node::new();
    node.write("/opt/cri/bin/crictl", "");
    node.write(
        "/opt/cri/bin/crictl.yaml",
        &format!("runtime-endpoint: {A}\n"),
    );
    node.write(
        "/usr/local/bin/crictl.yaml",
        &format!("runtime-endpoint: {B}\n"),
    );
    std::os::unix::fs::symlink(
        "../../../opt/cri/bin/crictl",
        node.dir.path().join("usr/local/bin/crictl"),
    )
    .unwrap();
    let crictl_dir = find_crictl_dir(&node.host());
    assert_eq!(crictl_dir.as_deref(), Some(Path::new("/opt/cri/bin")));
    let r = node
        .resolve(&CrictlInputs {
            crictl_dir,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.runtime.url.as_deref(), Some(A));
}

// Found by real_crictl.rs: `CRI_CONFIG_FILE=` is set, and `stat("")` fails
// with ENOENT, so crictl goes on to its own dir.
#[test]
fn an_empty_config_path_names_no_file_and_falls_back_to_the_crictl_dir() {
    let node = Node::new();
    let inputs = |crictl_dir: Option<&str>| CrictlInputs {
        env: env(&[(ENV_CONFIG, "")]),
        crictl_dir: crictl_dir.map(PathBuf::from),
        ..Default::default()
    };
    let e = node.resolve(&inputs(None)).unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
    node.write("/usr/bin/crictl.yaml", &format!("runtime-endpoint: {A}\n"));
    let r = node.resolve(&inputs(Some("/usr/bin"))).unwrap();
    assert_eq!(
        (r.runtime.url.as_deref(), r.config.loaded.as_deref()),
        (Some(A), Some(Path::new("/usr/bin/crictl.yaml")))
    );
}

// Found by real_crictl.rs: a relative path is opened from the working
// directory (under another --host-root, from its `/`), not refused.
#[test]
fn a_relative_config_path_is_not_taken_from_the_root_of_the_process() {
    let node = Node::new();
    node.write("/etc/rel.yaml", &format!("runtime-endpoint: {A}\n"));
    let r = node
        .resolve(&CrictlInputs {
            env: env(&[(ENV_CONFIG, "etc/rel.yaml")]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.runtime.url.as_deref(), Some(A));
    assert_eq!(r.config.loaded.as_deref(), Some(Path::new("/etc/rel.yaml")));
}

#[test]
fn a_broken_default_config_is_ignored_with_a_warning_an_explicit_one_fails() {
    let node = Node::new();
    node.write("/etc/crictl.yaml", "runtime-endpoint: [oops\n");
    let r = node.resolve(&CrictlInputs::default()).unwrap();
    assert_eq!(r.runtime.source, Source::Default);
    assert_eq!(r.config.loaded, None);
    assert!(
        r.warnings[0].contains("crictl ignores /etc/crictl.yaml"),
        "{:?}",
        r.warnings
    );
    let e = node
        .resolve(&CrictlInputs {
            config_flag: Some("/etc/crictl.yaml".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert!(e.to_string().contains("not valid YAML"), "{e}");
}

#[test]
fn an_unknown_option_is_reported_like_crictl() {
    let node = Node::new();
    node.write("/etc/crictl.yaml", "endpoint: unix:///x\n");
    let e = node
        .resolve(&CrictlInputs {
            config_flag: Some("/etc/crictl.yaml".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Config option 'endpoint' is not valid"),
        "{e}"
    );
}

#[test]
fn an_empty_config_file_is_loaded_and_sets_nothing() {
    let node = Node::new();
    node.write("/etc/crictl.yaml", "");
    let r = node.resolve(&CrictlInputs::default()).unwrap();
    assert_eq!(
        r.config.loaded.as_deref(),
        Some(Path::new("/etc/crictl.yaml"))
    );
    assert_eq!(r.runtime.source, Source::Default);
}

#[test]
fn the_config_is_read_under_the_host_root_through_host_symlinks() {
    let node = Node::new();
    node.write(
        "/var/lib/rancher/k3s/agent/etc/crictl.yaml",
        &format!("runtime-endpoint: {A}\n"),
    );
    std::fs::create_dir_all(node.dir.path().join("etc")).unwrap();
    std::os::unix::fs::symlink(
        "/var/lib/rancher/k3s/agent/etc/crictl.yaml",
        node.dir.path().join("etc/crictl.yaml"),
    )
    .unwrap();
    assert_eq!(
        node.resolve(&CrictlInputs::default())
            .unwrap()
            .runtime
            .url
            .as_deref(),
        Some(A)
    );
}
