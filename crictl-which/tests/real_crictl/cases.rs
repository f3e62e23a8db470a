//! The case matrix: every input crictl resolves its endpoint from (flags,
//! environment, config files, what sits at its default socket paths), as
//! plain data, so adding a case is one line here and needs no shell.

use super::node::Node;

/// crictl's default list (cmd/crictl/main_unix.go), in probe order.
pub(super) const DEFAULT_SOCKETS: [&str; 3] = [
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/cri-dockerd.sock", // /var/run/cri-dockerd.sock: /var/run -> /run
];

/// A socket of the scenario, for crictl's default paths.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ep {
    /// The scenario's first CRI endpoint (never at a default path).
    Live0,
    /// A second CRI daemon (two-containerds: the system containerd).
    Live1,
    /// A live socket that does not serve CRI (dockerd, Docker's containerd).
    NonCri,
}

/// What sits at one of crictl's default socket paths.
#[derive(Clone, Copy, Debug)]
pub(super) enum Sock {
    /// Whatever the node has there.
    AsIs,
    Absent,
    /// The real socket bind-mounted there (as in a container).
    Bind(Ep),
    /// A symlink to the real socket's own path.
    Link(Ep),
    /// A socket file nobody listens on (a crashed runtime).
    Dead,
    /// A symlink to nothing.
    Dangling,
}

/// `/etc/crictl.yaml` in the case.
#[derive(Clone, Copy, Debug)]
pub(super) enum Etc {
    AsIs,
    Missing,
    Text(&'static str),
    /// A symlink to the case file `linked.yaml`.
    Link,
    Dangling,
    Dir,
}

/// A `crictl.yaml` next to crictl, for its exe-dir fallback.
#[derive(Clone, Copy, Debug)]
pub(super) enum Exe {
    AsIs,
    /// Next to `/usr/local/bin/crictl`, a symlink: crictl never reads it.
    BesideLink(&'static str),
    /// Next to the binary the symlink points to: crictl reads it.
    InRealDir(&'static str),
    /// crictl copied into /usr/local/bin, with this file beside it.
    Copied(&'static str),
}

/// One row of the matrix. Strings may hold `@L0@`/`@L1@`/`@NC@` (the
/// scenario's endpoints as URLs), `@L0P@` (a bare path), `@DEAD@`, `@GONE@`
/// (a dead and a missing socket of the case) and `@C@` (the case directory).
#[derive(Clone, Debug)]
pub(super) struct Case {
    pub(super) name: &'static str,
    pub(super) args: Vec<&'static str>,
    pub(super) env: Vec<(&'static str, &'static str)>,
    pub(super) files: Vec<(&'static str, &'static str)>,
    pub(super) etc: Etc,
    pub(super) exe: Exe,
    pub(super) defaults: Option<[Sock; 3]>,
}

fn case(name: &'static str) -> Case {
    Case {
        name,
        args: Vec::new(),
        env: Vec::new(),
        files: Vec::new(),
        etc: Etc::AsIs,
        exe: Exe::AsIs,
        defaults: None,
    }
}

impl Case {
    fn arg(mut self, flag: &'static str, value: &'static str) -> Self {
        self.args.extend([flag, value]);
        self
    }
    fn env(mut self, key: &'static str, value: &'static str) -> Self {
        self.env.push((key, value));
        self
    }
    fn file(mut self, name: &'static str, text: &'static str) -> Self {
        self.files.push((name, text));
        self
    }
    fn etc(mut self, etc: Etc) -> Self {
        self.etc = etc;
        self
    }
    fn exe(mut self, exe: Exe) -> Self {
        self.exe = exe;
        self
    }
    /// crictl's default list, with `/etc/crictl.yaml` gone unless set later.
    fn defaults(mut self, socks: [Sock; 3]) -> Self {
        self.defaults = Some(socks);
        if matches!(self.etc, Etc::AsIs) {
            self.etc = Etc::Missing;
        }
        self
    }

    fn texts(&self) -> Vec<&'static str> {
        let mut all: Vec<&str> = self.args.clone();
        all.extend(self.env.iter().map(|(_, v)| *v));
        all.extend(self.files.iter().map(|(_, t)| *t));
        if let Etc::Text(t) = self.etc {
            all.push(t);
        }
        if let Exe::BesideLink(t) | Exe::InRealDir(t) | Exe::Copied(t) = self.exe {
            all.push(t);
        }
        all
    }

    fn eps(&self) -> Vec<Ep> {
        let mut eps: Vec<Ep> = self
            .defaults
            .iter()
            .flatten()
            .filter_map(|s| match s {
                Sock::Bind(e) | Sock::Link(e) => Some(*e),
                _ => None,
            })
            .collect();
        for t in self.texts() {
            if t.contains("@L1@") {
                eps.push(Ep::Live1);
            }
            if t.contains("@NC@") {
                eps.push(Ep::NonCri);
            }
        }
        eps
    }

    pub(super) fn applies_to(&self, node: &Node) -> bool {
        let changes_pinned = DEFAULT_SOCKETS
            .iter()
            .zip(self.defaults.iter().flatten())
            .any(|(path, sock)| !matches!(sock, Sock::AsIs) && node.pinned.contains(*path));
        !changes_pinned && self.eps().iter().all(|e| node.socket(*e).is_some())
    }
}

const YAML_LIVE: &str = "runtime-endpoint: @L0@\nimage-endpoint: @L0@\n";
const YAML_DEAD: &str = "runtime-endpoint: @DEAD@\n";

/// The matrix: precedence of flags, env and files, config-file failures, and
/// crictl's default list with 0 to 3 sockets alive.
pub(super) fn cases() -> Vec<Case> {
    use Ep::*;
    use Sock::*;
    vec![
        // The node as the scenario set it up.
        case("node as is"),
        // -r / -i and the environment.
        case("-r live").arg("-r", "@L0@"),
        case("-r bare path (deprecated form)").arg("-r", "@L0P@"),
        case("-r unix://host/path").arg("-r", "unix://node@L0P@"),
        case("-r dead socket").arg("-r", "@DEAD@"),
        case("-r missing socket").arg("-r", "@GONE@"),
        case("-r live socket that is not CRI").arg("-r", "@NC@"),
        case("-r tcp").arg("-r", "tcp://127.0.0.1:1"),
        case("-r second CRI daemon").arg("-r", "@L1@"),
        case("CONTAINER_RUNTIME_ENDPOINT live").env("CONTAINER_RUNTIME_ENDPOINT", "@L0@"),
        case("CONTAINER_RUNTIME_ENDPOINT set but empty").env("CONTAINER_RUNTIME_ENDPOINT", ""),
        case("CONTAINER_RUNTIME_ENDPOINT empty, -i live")
            .env("CONTAINER_RUNTIME_ENDPOINT", "")
            .arg("-i", "@L0@"),
        case("-r beats CONTAINER_RUNTIME_ENDPOINT")
            .arg("-r", "@L0@")
            .env("CONTAINER_RUNTIME_ENDPOINT", "@DEAD@"),
        case("CONTAINER_RUNTIME_ENDPOINT beats the yaml")
            .etc(Etc::Text(YAML_LIVE))
            .env("CONTAINER_RUNTIME_ENDPOINT", "@DEAD@"),
        case("-r beats CONTAINER_RUNTIME_ENDPOINT: two daemons")
            .arg("-r", "@L1@")
            .env("CONTAINER_RUNTIME_ENDPOINT", "@L0@"),
        case("CONTAINER_RUNTIME_ENDPOINT beats the yaml: two daemons")
            .etc(Etc::Text("runtime-endpoint: @L0@\n"))
            .env("CONTAINER_RUNTIME_ENDPOINT", "@L1@"),
        case("-r dead, yaml image-endpoint live")
            .etc(Etc::Text("image-endpoint: @L0@\n"))
            .arg("-r", "@DEAD@"),
        case("-r live, yaml image-endpoint dead")
            .etc(Etc::Text("image-endpoint: @DEAD@\n"))
            .arg("-r", "@L0@"),
        case("-r alone is the image endpoint too")
            .etc(Etc::Missing)
            .arg("-r", "@L0@"),
        case("IMAGE_SERVICE_ENDPOINT live, yaml runtime dead")
            .etc(Etc::Text(YAML_DEAD))
            .env("IMAGE_SERVICE_ENDPOINT", "@L0@"),
        case("IMAGE_SERVICE_ENDPOINT dead").env("IMAGE_SERVICE_ENDPOINT", "@DEAD@"),
        case("IMAGE_SERVICE_ENDPOINT empty beats the yaml image-endpoint")
            .etc(Etc::Text(
                "runtime-endpoint: @L0@\nimage-endpoint: @DEAD@\n",
            ))
            .env("IMAGE_SERVICE_ENDPOINT", ""),
        case("-i beats IMAGE_SERVICE_ENDPOINT")
            .arg("-i", "@DEAD@")
            .env("IMAGE_SERVICE_ENDPOINT", "@L0@"),
        // Which config file.
        case("CRI_CONFIG_FILE beats /etc/crictl.yaml")
            .etc(Etc::Text(YAML_DEAD))
            .file("a.yaml", "runtime-endpoint: @L0@\n")
            .env("CRI_CONFIG_FILE", "@C@/a.yaml"),
        case("--config beats CRI_CONFIG_FILE")
            .file("a.yaml", "runtime-endpoint: @L0@\n")
            .file("b.yaml", YAML_DEAD)
            .arg("--config", "@C@/a.yaml")
            .env("CRI_CONFIG_FILE", "@C@/b.yaml"),
        case("CRI_CONFIG_FILE missing").env("CRI_CONFIG_FILE", "@C@/nope.yaml"),
        case("--config missing").arg("--config", "@C@/nope.yaml"),
        case("CRI_CONFIG_FILE broken YAML")
            .file("broken.yaml", "runtime-endpoint: @L0@\nbogus\n")
            .env("CRI_CONFIG_FILE", "@C@/broken.yaml"),
        case("CRI_CONFIG_FILE only a tab")
            .file("tab.yaml", "\t\n")
            .env("CRI_CONFIG_FILE", "@C@/tab.yaml"),
        case("--config with an unknown key")
            .file(
                "unknown.yaml",
                "runtime-endpoint: @L0@\nruntime_endpoint: @L0@\n",
            )
            .arg("--config", "@C@/unknown.yaml"),
        case("--config with a bad timeout")
            .file("timeout.yaml", "runtime-endpoint: @L0@\ntimeout: 2s\n")
            .arg("--config", "@C@/timeout.yaml"),
        case("--config is a directory").arg("--config", "@C@"),
        case("CRI_CONFIG_FILE with only image-endpoint")
            .file("image.yaml", "image-endpoint: @L0@\n")
            .env("CRI_CONFIG_FILE", "@C@/image.yaml"),
        case("CRI_CONFIG_FILE relative to the working directory")
            .etc(Etc::Text(YAML_DEAD))
            .file("rel.yaml", "runtime-endpoint: @L0@\n")
            .env("CRI_CONFIG_FILE", "rel.yaml"),
        case("CRI_CONFIG_FILE set but empty").env("CRI_CONFIG_FILE", ""),
        case("CRI_CONFIG_FILE empty, yaml beside crictl's binary")
            .env("CRI_CONFIG_FILE", "")
            .exe(Exe::InRealDir(YAML_LIVE)),
        // /etc/crictl.yaml.
        case("/etc/crictl.yaml missing").etc(Etc::Missing),
        case("/etc/crictl.yaml broken").etc(Etc::Text("runtime-endpoint: @L0@\nbogus\n")),
        case("/etc/crictl.yaml with an unknown key")
            .etc(Etc::Text("runtime-endpoint: @L0@\nfoo: bar\n")),
        case("/etc/crictl.yaml with a bad timeout")
            .etc(Etc::Text("runtime-endpoint: @L0@\ntimeout: 2s\n")),
        case("/etc/crictl.yaml without image-endpoint").etc(Etc::Text("runtime-endpoint: @L0@\n")),
        case("/etc/crictl.yaml with empty values")
            .etc(Etc::Text("runtime-endpoint: \"\"\nimage-endpoint:\n")),
        case("/etc/crictl.yaml image-endpoint: ~")
            .etc(Etc::Text("runtime-endpoint: @L0@\nimage-endpoint: ~\n")),
        case("/etc/crictl.yaml repeats a key").etc(Etc::Text(
            "runtime-endpoint: @DEAD@\nruntime-endpoint: @L0@\n",
        )),
        case("/etc/crictl.yaml holds two documents").etc(Etc::Text(
            "runtime-endpoint: @L0@\n---\nruntime-endpoint: @DEAD@\n",
        )),
        case("/etc/crictl.yaml is a symlink")
            .file("linked.yaml", YAML_LIVE)
            .etc(Etc::Link),
        case("/etc/crictl.yaml is a dangling symlink").etc(Etc::Dangling),
        case("/etc/crictl.yaml is a directory").etc(Etc::Dir),
        case("/etc/crictl.yaml missing, yaml beside the crictl symlink")
            .etc(Etc::Missing)
            .exe(Exe::BesideLink(YAML_LIVE)),
        case("/etc/crictl.yaml missing, yaml beside crictl's binary")
            .etc(Etc::Missing)
            .exe(Exe::InRealDir(YAML_LIVE)),
        case("/etc/crictl.yaml missing, crictl is a plain file with a yaml beside")
            .etc(Etc::Missing)
            .exe(Exe::Copied(YAML_LIVE)),
        // crictl's default list.
        case("defaults: none").defaults([Absent, Absent, Absent]),
        case("defaults: only what the node has").defaults([AsIs, Absent, Absent]),
        case("defaults: three dead").defaults([Dead, Dead, Dead]),
        case("defaults: as is, dead, dead").defaults([AsIs, Dead, Dead]),
        case("defaults: first alive").defaults([Bind(Live0), Absent, Absent]),
        case("defaults: second alive").defaults([Absent, Bind(Live0), Absent]),
        case("defaults: as is, second alive").defaults([AsIs, Bind(Live0), Absent]),
        case("defaults: third alive").defaults([Absent, Absent, Bind(Live0)]),
        case("defaults: dead, dead, alive").defaults([Dead, Dead, Bind(Live0)]),
        case("defaults: as is, dead, alive").defaults([AsIs, Dead, Bind(Live0)]),
        case("defaults: two alive, the first wins").defaults([Absent, Link(Live0), Bind(Live0)]),
        case("defaults: as is, two alive").defaults([AsIs, Link(Live0), Bind(Live0)]),
        case("defaults: three alive").defaults([Bind(Live0), Link(Live0), Bind(Live0)]),
        case("defaults: as is, not CRI, symlink").defaults([AsIs, Bind(NonCri), Link(Live0)]),
        case("defaults: dangling symlink, dead, symlink").defaults([Dangling, Dead, Link(Live0)]),
        case("defaults: as is, dangling symlink, symlink").defaults([AsIs, Dangling, Link(Live0)]),
        case("defaults: two daemons").defaults([Bind(Live1), Bind(Live0), Absent]),
        case("defaults, -i dead")
            .defaults([AsIs, Link(Live0), Absent])
            .arg("-i", "@DEAD@"),
        case("defaults, yaml sets only the timeout")
            .defaults([AsIs, Absent, Link(Live0)])
            .etc(Etc::Text("timeout: 3\n")),
        case("defaults dead, yaml sets only image-endpoint")
            .defaults([AsIs, Dead, Dead])
            .etc(Etc::Text("image-endpoint: @L0@\n")),
    ]
}
