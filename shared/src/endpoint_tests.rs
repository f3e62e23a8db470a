//! The precedence table of crictl, one row per test.
use super::*;

struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn host(&self) -> HostRoot {
        HostRoot::new(self.dir.path())
    }
    fn write(&self, host_path: &str, text: &str) -> &Self {
        let p = self.dir.path().join(host_path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }
    fn resolve(&self, inputs: &CrictlInputs) -> Result<Resolution, EndpointError> {
        resolve(inputs, &self.host())
    }
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const A: &str = "unix:///run/a.sock";
const B: &str = "unix:///run/b.sock";
const C: &str = "unix:///run/c.sock";

#[test]
fn nothing_set_means_the_default_list_for_both() {
    let r = Node::new().resolve(&CrictlInputs::default()).unwrap();
    assert_eq!(
        (r.runtime.url.as_deref(), r.runtime.source),
        (None, Source::Default)
    );
    assert_eq!(
        (r.image.url.as_deref(), r.image.source),
        (None, Source::Default)
    );
    assert_eq!(r.timeout, DEFAULT_TIMEOUT);
    assert_eq!(r.config.requested, Path::new("/etc/crictl.yaml"));
    assert_eq!(r.config.loaded, None);
    assert!(r.warnings.is_empty());
}

#[test]
fn config_file_sets_runtime_and_image_falls_back_to_it() {
    let node = Node::new();
    node.write("/etc/crictl.yaml", &format!("runtime-endpoint: {A}\n"));
    let r = node.resolve(&CrictlInputs::default()).unwrap();
    assert_eq!(
        (r.runtime.url.as_deref(), r.runtime.source),
        (Some(A), Source::ConfigFile)
    );
    assert_eq!(
        (r.image.url.as_deref(), r.image.source),
        (Some(A), Source::ConfigFile)
    );
    assert!(
        r.image.detail.contains("uses the runtime endpoint"),
        "{}",
        r.image.detail
    );
    assert_eq!(
        r.config.loaded.as_deref(),
        Some(Path::new("/etc/crictl.yaml"))
    );
}

#[test]
fn config_image_endpoint_wins_over_the_fallback() {
    let node = Node::new();
    node.write(
        "/etc/crictl.yaml",
        &format!("runtime-endpoint: {A}\nimage-endpoint: {B}\n"),
    );
    let r = node.resolve(&CrictlInputs::default()).unwrap();
    assert_eq!(
        (r.image.url.as_deref(), r.image.source),
        (Some(B), Source::ConfigFile)
    );
}

#[test]
fn env_beats_config_but_a_yaml_image_endpoint_still_applies() {
    // `crictl -r X images` still uses yaml `image-endpoint: Y`.
    let node = Node::new();
    node.write(
        "/etc/crictl.yaml",
        &format!("runtime-endpoint: {A}\nimage-endpoint: {B}\n"),
    );
    let r = node
        .resolve(&CrictlInputs {
            env: env(&[(ENV_RUNTIME, C)]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (r.runtime.url.as_deref(), r.runtime.source),
        (Some(C), Source::Env)
    );
    assert_eq!(
        (r.image.url.as_deref(), r.image.source),
        (Some(B), Source::ConfigFile)
    );
}

#[test]
fn flag_beats_env_beats_config_for_both_endpoints() {
    let node = Node::new();
    node.write(
        "/etc/crictl.yaml",
        &format!("runtime-endpoint: {A}\nimage-endpoint: {A}\n"),
    );
    let inputs = CrictlInputs {
        runtime_flag: Some(C.into()),
        image_flag: Some(C.into()),
        env: env(&[(ENV_RUNTIME, B), (ENV_IMAGE, B)]),
        ..Default::default()
    };
    let r = node.resolve(&inputs).unwrap();
    assert_eq!(
        (r.runtime.url.as_deref(), r.runtime.source),
        (Some(C), Source::Flag)
    );
    assert_eq!(
        (r.image.url.as_deref(), r.image.source),
        (Some(C), Source::Flag)
    );
    let r = node
        .resolve(&CrictlInputs {
            runtime_flag: None,
            image_flag: None,
            ..inputs
        })
        .unwrap();
    assert_eq!(
        (r.runtime.url.as_deref(), r.runtime.source),
        (Some(B), Source::Env)
    );
    assert_eq!(
        (r.image.url.as_deref(), r.image.source),
        (Some(B), Source::Env)
    );
}

#[test]
fn runtime_flag_alone_is_the_image_endpoint_too() {
    let r = Node::new()
        .resolve(&CrictlInputs {
            runtime_flag: Some(A.into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (r.image.url.as_deref(), r.image.source),
        (Some(A), Source::Flag)
    );
}

#[test]
fn an_empty_env_var_counts_as_set_and_is_an_error() {
    let e = Node::new()
        .resolve(&CrictlInputs {
            env: env(&[(ENV_RUNTIME, "")]),
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(
            e,
            EndpointError::EmptyRuntimeEndpoint {
                origin: Source::Env
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("--runtime-endpoint is not set"));
}

#[test]
fn an_empty_image_env_falls_back_to_the_runtime_endpoint() {
    let inputs = CrictlInputs {
        runtime_flag: Some(A.into()),
        env: env(&[(ENV_IMAGE, "")]),
        ..Default::default()
    };
    let r = Node::new().resolve(&inputs).unwrap();
    assert_eq!(
        (r.image.url.as_deref(), r.image.source),
        (Some(A), Source::Flag)
    );
}

#[test]
fn empty_yaml_values_do_not_count_as_set() {
    let node = Node::new();
    node.write(
        "/etc/crictl.yaml",
        "runtime-endpoint: \"\"\nimage-endpoint:\ntimeout: 0\n",
    );
    let r = node.resolve(&CrictlInputs::default()).unwrap();
    assert_eq!(r.runtime.source, Source::Default);
    assert_eq!(r.image.source, Source::Default);
    assert_eq!(r.timeout, DEFAULT_TIMEOUT);
}

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

#[test]
fn timeout_precedence() {
    let node = Node::new();
    node.write("/etc/crictl.yaml", "timeout: 7\n");
    assert_eq!(
        node.resolve(&CrictlInputs::default()).unwrap().timeout,
        Duration::from_secs(7)
    );
    let flag = |d| CrictlInputs {
        timeout_flag: Some(d),
        ..Default::default()
    };
    assert_eq!(
        node.resolve(&flag(Duration::from_millis(300)))
            .unwrap()
            .timeout,
        Duration::from_millis(300)
    );
    assert_eq!(
        node.resolve(&flag(Duration::ZERO)).unwrap().timeout,
        DEFAULT_TIMEOUT
    );
    node.write("/etc/crictl.yaml", "timeout: -3\n");
    assert_eq!(
        node.resolve(&CrictlInputs::default()).unwrap().timeout,
        DEFAULT_TIMEOUT
    );
}

#[test]
fn unknown_schemes_fail_and_bare_paths_warn() {
    for url in [
        "http://x/y.sock",
        "npipe:////./pipe/x",
        "tcp://127.0.0.1:1234",
        "unix://",
        "host:1234",
    ] {
        let e = Node::new()
            .resolve(&CrictlInputs {
                runtime_flag: Some(url.into()),
                ..Default::default()
            })
            .unwrap_err();
        assert!(matches!(e, EndpointError::BadUrl { .. }), "{url}: {e}");
    }
    let r = Node::new()
        .resolve(&CrictlInputs {
            runtime_flag: Some("/run/a.sock".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(
        r.warnings.iter().any(|w| w.contains("deprecated")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn unix_url_parsing_matches_go_url_parse() {
    assert_eq!(
        UnixEndpoint::parse("unix:///run/x.sock").unwrap().path,
        Path::new("/run/x.sock")
    );
    // url.Parse("unix://run/x.sock") has Host "run" and Path "/x.sock".
    assert_eq!(
        UnixEndpoint::parse("unix://run/x.sock").unwrap().path,
        Path::new("/x.sock")
    );
    assert!(
        UnixEndpoint::parse("/run/x.sock")
            .unwrap()
            .deprecated_bare_path
    );
}
