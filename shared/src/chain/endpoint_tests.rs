//! The precedence table of crictl, one row per test.
use std::path::Path;

use super::*;

pub(super) struct Node {
    pub(super) dir: tempfile::TempDir,
}

impl Node {
    pub(super) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub(super) fn host(&self) -> HostRoot {
        HostRoot::new(self.dir.path())
    }
    pub(super) fn write(&self, host_path: &str, text: &str) -> &Self {
        let p = self.dir.path().join(host_path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }
    pub(super) fn resolve(&self, inputs: &CrictlInputs) -> Result<Resolution, EndpointError> {
        resolve(inputs, &self.host())
    }
}

pub(super) fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) const A: &str = "unix:///run/a.sock";
pub(super) const B: &str = "unix:///run/b.sock";
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

// Found by crictl-which/tests/real_crictl.rs: crictl fails runtime calls with
// "--runtime-endpoint is not set" and image calls with "--image-endpoint is not
// set", unless an image endpoint is set: then image calls work.
#[test]
fn an_empty_runtime_env_is_set_and_fails_only_what_uses_it() {
    let inputs = |image: Option<&str>| CrictlInputs {
        env: env(&[(ENV_RUNTIME, "")]),
        image_flag: image.map(String::from),
        ..Default::default()
    };
    let r = Node::new().resolve(&inputs(None)).unwrap();
    assert_eq!(
        (r.runtime.url.as_deref(), r.runtime.source),
        (Some(""), Source::Env)
    );
    let problem = |s: &EndpointSetting| s.problem.clone().unwrap_or_default();
    assert!(problem(&r.runtime).contains("\"--runtime-endpoint is not set\""));
    assert!(problem(&r.image).contains("\"--image-endpoint is not set\""));
    let r = Node::new().resolve(&inputs(Some(A))).unwrap();
    assert!(r.runtime.problem.is_some());
    assert_eq!((r.image.url.as_deref(), &r.image.problem), (Some(A), &None));
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

// Found by real_crictl.rs: a URL crictl cannot dial fails the calls on that
// endpoint only (`crictl -r tcp://… images` still uses a yaml image-endpoint).
#[test]
fn an_undialable_url_fails_its_side_only() {
    for url in [
        "http://x/y.sock",
        "npipe:////./pipe/x",
        "tcp://127.0.0.1:1234",
        "unix://",
        "host:1234",
        "~",
    ] {
        let node = Node::new();
        node.write("/etc/crictl.yaml", &format!("image-endpoint: {A}\n"));
        let r = node
            .resolve(&CrictlInputs {
                runtime_flag: Some(url.into()),
                ..Default::default()
            })
            .unwrap();
        assert!(r.runtime.problem.is_some(), "{url}");
        assert_eq!(r.runtime.url.as_deref(), Some(url));
        assert_eq!((r.image.url.as_deref(), &r.image.problem), (Some(A), &None));
    }
    let e = Node::new()
        .resolve(&CrictlInputs {
            runtime_flag: Some("tcp://127.0.0.1:1".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(
        e.image
            .problem
            .unwrap()
            .contains("only support unix socket endpoint"),
        "the image endpoint takes the runtime's, and its problem"
    );
}

// Found by real_crictl.rs: crictl dials the path of `unix://host/path` and
// of a bare path; the chain must follow that socket.
#[test]
fn bare_paths_and_host_urls_become_the_socket_crictl_dials() {
    for (given, warning) in [
        ("/run/a.sock", "deprecated"),
        ("unix://node/run/a.sock", "names a host"),
    ] {
        let r = Node::new()
            .resolve(&CrictlInputs {
                runtime_flag: Some(given.into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(r.runtime.url.as_deref(), Some(A), "{given}");
        assert_eq!(r.image.url.as_deref(), Some(A), "{given}");
        assert!(r.runtime.detail.contains(given), "{}", r.runtime.detail);
        assert!(
            r.warnings.iter().any(|w| w.contains(warning)),
            "{:?}",
            r.warnings
        );
    }
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
