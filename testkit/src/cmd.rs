//! The one way tests run a program: [`TestCommand`], a builder in the style
//! of ripgrep's test harness. It clears the crictl environment itself (a
//! developer's `CONTAINER_RUNTIME_ENDPOINT` must not change what a test
//! sees), can run the program inside a lab scenario, and bounds every run
//! with a timeout, so a hung binary fails the test instead of hanging it.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::ops::Deref;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

use crate::lab::Lab;

/// What crictl reads from its environment: unset for every test command.
const CRICTL_ENV: [&str; 3] = [
    "CONTAINER_RUNTIME_ENDPOINT",
    "IMAGE_SERVICE_ENDPOINT",
    "CRI_CONFIG_FILE",
];

/// Long enough for the slowest test command (a prune on a lab node), short
/// enough that a hang ends the run with the command named.
const TIMEOUT: Duration = Duration::from_secs(600);

/// A program to run, with a clean crictl environment.
#[derive(Debug, Clone)]
pub struct TestCommand {
    program: OsString,
    args: Vec<OsString>,
    envs: Vec<(OsString, Option<OsString>)>,
    stdin: Option<Vec<u8>>,
    scenario: Option<(Lab, String)>,
    timeout: Duration,
}

impl TestCommand {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Self {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            envs: Vec::new(),
            stdin: None,
            scenario: None,
            timeout: TIMEOUT,
        }
    }

    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets a variable; applied after the crictl variables are cleared, so a
    /// test may set one of them on purpose.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.envs
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Self {
        self.envs.push((key.as_ref().to_owned(), None));
        self
    }

    /// Bytes for the program's stdin (otherwise it reads an empty stdin).
    pub fn stdin(&mut self, input: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin = Some(input.into());
        self
    }

    /// For a run known to take longer than the default (a release build).
    pub fn timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// Runs the program inside scenario `name` of `lab` (`lab exec`): its
    /// namespaces, its files, its daemons. The program path is read there.
    pub fn in_scenario(&mut self, lab: &Lab, name: &str) -> &mut Self {
        self.scenario = Some((lab.clone(), name.to_string()));
        self
    }

    /// The command line, for messages.
    fn describe(&self) -> String {
        let mut words = vec![self.program.to_string_lossy().into_owned()];
        words.extend(self.args.iter().map(|a| a.to_string_lossy().into_owned()));
        match &self.scenario {
            Some((_, name)) => format!("`{}` in lab scenario {name}", words.join(" ")),
            None => format!("`{}`", words.join(" ")),
        }
    }

    /// The std command this builder describes, for a test that manages the
    /// child itself (a server it stops later). No timeout applies to it.
    pub fn command(&self) -> Command {
        let mut c = match &self.scenario {
            Some((lab, name)) => {
                let mut c = lab.command();
                c.args(["exec", name, "--"]).arg(&self.program);
                c
            }
            None => Command::new(&self.program),
        };
        c.args(&self.args);
        for key in CRICTL_ENV {
            c.env_remove(key);
        }
        for (key, value) in &self.envs {
            match value {
                Some(v) => c.env(key, v),
                None => c.env_remove(key),
            };
        }
        c
    }

    /// Spawns the program with `stdin` fed and both streams captured.
    pub fn spawn(&self) -> Child {
        self.spawn_with(self.command())
    }

    fn spawn_with(&self, mut c: Command) -> Child {
        c.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.describe()));
        if let (Some(input), Some(mut pipe)) = (self.stdin.clone(), child.stdin.take()) {
            // A thread, so a program that writes before it reads cannot deadlock.
            std::thread::spawn(move || pipe.write_all(&input));
        }
        child
    }

    /// Runs the program to its end and captures what it printed; fails the
    /// test, naming the command, if it runs past the timeout.
    pub fn run(&self) -> TestOutput {
        let started = Instant::now();
        let mut c = self.command();
        // A group of its own, so a timeout ends what it started too (the
        // cargo under a build script, the program under `lab exec`).
        c.process_group(0);
        let mut child = self.spawn_with(c);
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut p) = pipe {
                    let _ = p.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
        let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
        let status = match child.wait_timeout(self.timeout) {
            Ok(Some(status)) => status,
            Ok(None) => {
                let group = format!("-{}", child.id());
                let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{} still ran after {:?}: killed",
                    self.describe(),
                    self.timeout
                );
            }
            Err(e) => panic!("cannot wait for {}: {e}", self.describe()),
        };
        let elapsed = started.elapsed();
        TestOutput {
            output: Output {
                status,
                stdout: out.join().unwrap_or_default(),
                stderr: err.join().unwrap_or_default(),
            },
            elapsed,
        }
    }
}

/// What a [`TestCommand`] printed, how it exited and how long it took. It
/// derefs to [`Output`], so the free helpers below take it too.
#[derive(Debug)]
pub struct TestOutput {
    pub output: Output,
    pub elapsed: Duration,
}

impl Deref for TestOutput {
    type Target = Output;
    fn deref(&self) -> &Output {
        &self.output
    }
}

impl From<TestOutput> for Output {
    fn from(out: TestOutput) -> Output {
        out.output
    }
}

impl TestOutput {
    pub fn stdout(&self) -> String {
        stdout(self)
    }

    pub fn stderr(&self) -> String {
        stderr(self)
    }

    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn assert_exit(&self, code: i32) -> &Self {
        assert_exit(self, code);
        self
    }

    /// Stdout as JSON, or a failure that shows what was printed.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout()))
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the exit code, showing both streams when it differs.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit status\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crictl_environment_is_cleared_unless_a_test_sets_it() {
        let mut c = TestCommand::new("env");
        c.env("IMAGE_SERVICE_ENDPOINT", "unix:///set.sock");
        let envs: Vec<_> = c
            .command()
            .get_envs()
            .map(|(k, v)| (k.to_owned(), v.map(OsStr::to_owned)))
            .collect();
        for key in ["CONTAINER_RUNTIME_ENDPOINT", "CRI_CONFIG_FILE"] {
            assert!(
                envs.contains(&(key.into(), None)),
                "{key} not removed: {envs:?}"
            );
        }
        let out = c.run();
        out.assert_exit(0);
        assert!(
            out.stdout()
                .contains("IMAGE_SERVICE_ENDPOINT=unix:///set.sock\n")
        );
    }

    #[test]
    fn stdin_is_fed_and_both_streams_come_back() {
        let out = TestCommand::new("sh")
            .args(["-c", "cat; echo oops >&2; exit 3"])
            .stdin("hello")
            .run();
        out.assert_exit(3);
        assert_eq!(
            (out.stdout().as_str(), out.stderr().as_str()),
            ("hello", "oops\n")
        );
    }

    #[test]
    fn a_hung_command_is_killed_with_what_it_started_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let script = format!("sleep 60 & echo $! >{}; wait", pids.display());
        let started = Instant::now();
        let failed = std::panic::catch_unwind(|| {
            TestCommand::new("sh")
                .args(["-c", &script])
                .timeout(Duration::from_millis(500))
                .run()
        })
        .expect_err("the run must fail");
        assert!(started.elapsed() < Duration::from_secs(10));
        let said = failed.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            said.contains("`sh -c") && said.contains("still ran after 500ms"),
            "{said}"
        );
        let sleeper = std::fs::read_to_string(&pids).unwrap();
        let gone = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            std::fs::read_to_string(format!("/proc/{}/stat", sleeper.trim()))
                .map_or(true, |s| s.contains(") Z "))
        });
        assert!(gone, "the background sleep {} survived", sleeper.trim());
    }
}
