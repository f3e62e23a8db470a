//! Daemon command lines, read from `/proc/<pid>/cmdline`.
//!
//! The daemons we care about parse flags with Go's pflag/urfave (`--flag value`,
//! `--flag=value`, `-f value`, `-fvalue`); the last occurrence of a single
//! valued flag wins. We only ever look up flags we know the type of, so a
//! boolean flag is never mistaken for one that swallows the next word.

/// A process's argv.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cmdline {
    pub args: Vec<String>,
}

impl Cmdline {
    /// Parses the NUL-separated bytes of `/proc/<pid>/cmdline`. Invalid UTF-8
    /// is replaced, never an error: a cmdline is evidence, not input we trust.
    pub fn from_proc_bytes(bytes: &[u8]) -> Self {
        let args = bytes
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        Self { args }
    }

    pub fn from_args<I: IntoIterator<Item = S>, S: Into<String>>(args: I) -> Self {
        Self {
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// The program's base name (`/usr/bin/containerd` → `containerd`).
    pub fn program(&self) -> &str {
        self.args
            .first()
            .map(|a| a.rsplit('/').next().unwrap_or(a))
            .unwrap_or("")
    }

    /// The first non-flag argument after the program (`k3s agent …` → `agent`).
    pub fn subcommand(&self) -> Option<&str> {
        self.args
            .get(1)
            .map(String::as_str)
            .filter(|a| !a.starts_with('-'))
    }

    /// Every value of a valued flag, in order. `names` are spelled with their
    /// dashes: `["-a", "--address"]`.
    pub fn values(&self, names: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        let mut i = 1;
        while i < self.args.len() {
            let arg = &self.args[i];
            if arg == "--" {
                break;
            }
            for name in names {
                if arg == name {
                    if let Some(v) = self.args.get(i + 1) {
                        out.push(v.clone());
                        i += 1;
                    }
                    break;
                }
                if let Some(v) = arg.strip_prefix(name) {
                    if let Some(v) = v.strip_prefix('=') {
                        out.push(v.to_string());
                        break;
                    }
                    // pflag shorthand with the value glued on: `-a/run/x.sock`.
                    if !name.starts_with("--") && !v.is_empty() {
                        out.push(v.to_string());
                        break;
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// The effective value of a valued flag: the last one given.
    pub fn value(&self, names: &[&str]) -> Option<String> {
        self.values(names).pop()
    }

    /// A boolean flag: `--docker` or `--docker=true|false`.
    pub fn bool_flag(&self, names: &[&str]) -> Option<bool> {
        let mut found = None;
        for arg in self.args.iter().skip(1).take_while(|a| *a != "--") {
            for name in names {
                if arg == name {
                    found = Some(true);
                } else if let Some(v) = arg.strip_prefix(name).and_then(|v| v.strip_prefix('=')) {
                    found = Some(matches!(v, "true" | "1" | "t" | "T" | "TRUE" | "True"));
                }
            }
        }
        found
    }

    /// The command line as one shell-like string for display.
    pub fn display(&self) -> String {
        self.args.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(s: &str) -> Cmdline {
        Cmdline::from_args(s.split_whitespace())
    }

    #[test]
    fn parses_proc_bytes_with_trailing_nul_and_bad_utf8() {
        let c = Cmdline::from_proc_bytes(b"containerd\0-a\0/run/x\xff.sock\0");
        assert_eq!(c.program(), "containerd");
        assert_eq!(
            c.value(&["-a", "--address"]).unwrap(),
            "/run/x\u{fffd}.sock"
        );
        assert_eq!(Cmdline::from_proc_bytes(b"").program(), "");
    }

    #[test]
    fn k3s_containerd_cmdline() {
        let c = cmd(
            "containerd -c /var/lib/rancher/k3s/agent/etc/containerd/config.toml -a /run/k3s/containerd/containerd.sock --state /run/k3s/containerd --root /var/lib/rancher/k3s/agent/containerd",
        );
        assert_eq!(
            c.value(&["-c", "--config"]).unwrap(),
            "/var/lib/rancher/k3s/agent/etc/containerd/config.toml"
        );
        assert_eq!(
            c.value(&["-a", "--address"]).unwrap(),
            "/run/k3s/containerd/containerd.sock"
        );
        assert_eq!(c.value(&["--state"]).unwrap(), "/run/k3s/containerd");
        assert_eq!(
            c.value(&["--root"]).unwrap(),
            "/var/lib/rancher/k3s/agent/containerd"
        );
    }

    #[test]
    fn equals_form_glued_shorthand_and_last_wins() {
        let c = cmd(
            "dockerd --data-root=/a -H unix:///x.sock -Hfd:// --data-root /b --containerd=/run/c.sock",
        );
        assert_eq!(c.value(&["--data-root"]).unwrap(), "/b");
        assert_eq!(c.values(&["-H", "--host"]), vec!["unix:///x.sock", "fd://"]);
        assert_eq!(c.value(&["--containerd"]).unwrap(), "/run/c.sock");
        // A prefix of another flag is not that flag.
        assert_eq!(c.value(&["--data"]), None);
    }

    #[test]
    fn booleans_and_subcommands() {
        let c = cmd("/usr/local/bin/k3s agent --docker --data-dir /d");
        assert_eq!(c.program(), "k3s");
        assert_eq!(c.subcommand(), Some("agent"));
        assert_eq!(c.bool_flag(&["--docker"]), Some(true));
        assert_eq!(
            cmd("k3s server --docker=false").bool_flag(&["--docker"]),
            Some(false)
        );
        assert_eq!(cmd("k3s server").bool_flag(&["--docker"]), None);
        assert_eq!(cmd("k3s --debug server").subcommand(), None);
    }

    #[test]
    fn a_valued_flag_at_the_end_has_no_value() {
        assert_eq!(cmd("containerd --root").value(&["--root"]), None);
        assert_eq!(cmd("x -- --root /a").value(&["--root"]), None);
    }
}
