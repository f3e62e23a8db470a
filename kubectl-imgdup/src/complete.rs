//! `kubectl imgdup <TAB>`: kubectl's plugin completion.
//!
//! kubectl ≥ 1.26 completes a plugin's arguments through an executable
//! named `kubectl_complete-<plugin>` on PATH (kubernetes/kubernetes
//! `staging/src/k8s.io/kubectl/pkg/cmd/plugin/plugin_completion.go`:
//! `pluginCompletion`, `lookupCompletionExec`, `getPluginCompletions`):
//! - it runs it with the words typed after the plugin name plus the word
//!   being completed, possibly empty (`kubectl imgdup -n <TAB>` runs
//!   `kubectl_complete-imgdup -n ""`), with kubectl's environment, stdin
//!   and stderr;
//! - it reads stdout: one candidate per line (`candidate\tdescription`),
//!   empty lines dropped; a last line `:<n>` is cobra's ShellCompDirective
//!   (1 Error, 2 NoSpace, 4 NoFileComp, 8 FilterFileExt, 16 FilterDirs,
//!   32 KeepOrder; 0, the default, lets the shell complete file names);
//! - a non-zero exit counts as no candidates with directive 0.
//!
//! kubectl drops its own flags for plugins, so `--context`, `--kubeconfig`
//! and `-n` are completed here like every other flag: from the clap
//! definition, never from a hand-kept list. The repo's
//! `kubectl_complete-imgdup` script runs `kubectl-imgdup __complete "$@"`.
//!
//! Everything is answered within [`BUDGET`]: cluster lookups share one
//! deadline, and what they could not fetch in time is simply left out.

mod line;
mod lookup;

use std::time::{Duration, Instant};

use clap::{Arg, CommandFactory, ValueHint};
use line::first_line;
pub use line::{Line, Want};

/// Cobra's ShellCompDirective bits (cobra `completions.go`).
pub const NO_SPACE: u32 = 2;
pub const NO_FILE_COMP: u32 = 4;
pub const FILTER_DIRS: u32 = 16;
/// The shell's own (file name) completion.
pub const DEFAULT: u32 = 0;

/// The answer must be out within 1 s; the rest is kubectl's and our start-up.
const BUDGET: Duration = Duration::from_millis(800);

/// One completion: the word and an optional description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub word: String,
    pub help: String,
}

impl Candidate {
    fn new(word: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            word: word.into(),
            help: help.into(),
        }
    }
}

/// Where a value's candidates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Nodes,
    Namespaces,
    Contexts,
    Labels,
    Files,
    Dirs,
    /// The argument's possible values (value enums), or nothing.
    Fixed,
}

/// Where the values of `arg` come from: by its id or value name, then by
/// its value hint.
pub fn source(arg: &Arg) -> Source {
    let name = arg
        .get_value_names()
        .and_then(|n| n.first())
        .map(|n| n.as_str())
        .unwrap_or_default();
    match (arg.get_id().as_str(), name) {
        (_, "NODE") => Source::Nodes,
        ("namespace", _) => Source::Namespaces,
        ("context", _) => Source::Contexts,
        ("selector", _) => Source::Labels,
        (_, "FILE") => Source::Files,
        (_, "DIR") => Source::Dirs,
        _ => match arg.get_value_hint() {
            ValueHint::FilePath | ValueHint::AnyPath | ValueHint::ExecutablePath => Source::Files,
            ValueHint::DirPath => Source::Dirs,
            _ => Source::Fixed,
        },
    }
}

fn possible_values(arg: &Arg) -> Vec<Candidate> {
    arg.get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| Candidate::new(v.get_name(), first_line(v.get_help())))
        .collect()
}

/// The answer: candidates starting with the current word, and the directive.
pub fn answer(line: &Line<'_>, current: &str, deadline: Instant) -> (Vec<Candidate>, u32) {
    let (want, typed) = line.want(current);
    let (mut out, directive, prefix) = match want {
        Want::Flags => (line.flags(), NO_FILE_COMP, String::new()),
        Want::Value { arg, prefix } => {
            let (c, d) = values(line, arg, &typed, deadline);
            (c, d, prefix)
        }
        Want::Positional { subcommands, arg } => {
            let mut c = if subcommands {
                line.subcommand_candidates()
            } else {
                Vec::new()
            };
            let mut d = NO_FILE_COMP;
            if let Some(arg) = arg {
                let (v, vd) = values(line, arg, &typed, deadline);
                c.extend(
                    v.into_iter()
                        .filter(|v| !line.positionals.contains(&v.word)),
                );
                d = vd;
            }
            (c, d, String::new())
        }
    };
    out.retain(|c| c.word.starts_with(&typed) && !c.word.is_empty());
    for c in &mut out {
        c.word.insert_str(0, &prefix);
    }
    (out, directive)
}

fn values(line: &Line<'_>, arg: &Arg, typed: &str, deadline: Instant) -> (Vec<Candidate>, u32) {
    use lookup::Query;
    let ask = |q: Query| lookup::cluster(line, q, deadline);
    match source(arg) {
        Source::Files => (Vec::new(), DEFAULT),
        Source::Dirs => (Vec::new(), FILTER_DIRS),
        Source::Fixed => (possible_values(arg), NO_FILE_COMP),
        Source::Contexts => (lookup::contexts(line.kubeconfig.as_deref()), NO_FILE_COMP),
        Source::Nodes => (ask(Query::Nodes), NO_FILE_COMP),
        Source::Namespaces => (ask(Query::Namespaces), NO_FILE_COMP),
        Source::Labels => {
            // A selector is `req,req,...`: complete the last requirement.
            let (head, last) = match typed.rfind(',') {
                Some(i) => typed.split_at(i + 1),
                None => ("", typed),
            };
            let with_head = |c: Candidate| Candidate::new(format!("{head}{}", c.word), c.help);
            match last.split_once('=') {
                None => {
                    let keys = ask(Query::LabelKeys)
                        .into_iter()
                        .map(|c| with_head(Candidate::new(format!("{}=", c.word), c.help)))
                        .collect();
                    (keys, NO_SPACE | NO_FILE_COMP)
                }
                Some((key, rest)) => {
                    // `key=`, `key==` or `key!=`: keep the operator typed.
                    let name = key.trim_end_matches('!');
                    let value = rest.strip_prefix('=').unwrap_or(rest);
                    let op = &last[name.len()..last.len() - value.len()];
                    let pairs = ask(Query::LabelValues(name.to_string()))
                        .into_iter()
                        .map(|c| with_head(Candidate::new(format!("{name}{op}{}", c.word), c.help)))
                        .collect();
                    (pairs, NO_FILE_COMP)
                }
            }
        }
    }
}

/// The lines kubectl reads: candidates, then `:<directive>`.
pub fn render(candidates: &[Candidate], directive: u32) -> String {
    let mut out = String::new();
    for c in candidates {
        out.push_str(&c.word);
        if !c.help.is_empty() {
            out.push('\t');
            out.push_str(&c.help);
        }
        out.push('\n');
    }
    out.push_str(&format!(":{directive}\n"));
    out
}

/// `kubectl-imgdup __complete WORDS... CURRENT`.
pub fn run(words: Vec<String>) -> String {
    let deadline = Instant::now() + BUDGET;
    let mut root = crate::cli::Cli::command();
    root.build();
    let (current, done) = match words.split_last() {
        Some((c, d)) => (c.as_str(), d),
        None => ("", &[][..]),
    };
    let line = Line::parse(&root, done);
    let (candidates, directive) = answer(&line, current, deadline);
    render(&candidates, directive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(words: &[&str]) -> (Vec<String>, u32) {
        let mut root = crate::cli::Cli::command();
        root.build();
        let (current, done) = words.split_last().unwrap();
        let done: Vec<String> = done.iter().map(|s| s.to_string()).collect();
        let line = Line::parse(&root, &done);
        // An unreachable kubeconfig: cluster lookups give nothing.
        let (c, d) = answer(&line, current, Instant::now());
        (c.into_iter().map(|c| c.word).collect(), d)
    }

    #[test]
    fn subcommands_and_flags_come_from_clap() {
        let (words, d) = complete(&[""]);
        assert!(words.contains(&"node".to_string()), "{words:?}");
        assert!(words.contains(&"completion".to_string()), "{words:?}");
        assert!(!words.iter().any(|w| w == "agent" || w == "__complete"));
        assert_eq!(d, NO_FILE_COMP);
        let (flags, _) = complete(&["--con"]);
        assert!(flags.contains(&"--context".to_string()), "{flags:?}");
        assert!(flags.contains(&"--concurrency".to_string()), "{flags:?}");
        let (given, _) = complete(&["--context", "x", "--"]);
        assert!(!given.contains(&"--context".to_string()), "given once");
        let (shorts, _) = complete(&["-"]);
        assert!(shorts.contains(&"-n".to_string()) && shorts.contains(&"-l".to_string()));
    }

    #[test]
    fn values_by_kind() {
        assert_eq!(complete(&["completion", "b"]).0, ["bash"]);
        assert_eq!(complete(&["-o", "j"]).0, ["json"]);
        assert_eq!(complete(&["--output=y"]).0, ["--output=yaml"]);
        assert_eq!(complete(&["--kubeconfig", ""]).1, DEFAULT);
        assert_eq!(
            complete(&["node", "--local", "--host-root", ""]).1,
            FILTER_DIRS
        );
        // Global flags may come before a subcommand, as with kubectl.
        assert!(complete(&["-n", "x", ""]).0.contains(&"which".to_string()));
        // After a NODE, no subcommand (and no nodes here: no cluster).
        assert_eq!(complete(&["n1", ""]).0, Vec::<String>::new());
        assert_eq!(complete(&["-l", "tier"]).1, NO_SPACE | NO_FILE_COMP);
    }

    #[test]
    fn render_ends_with_the_directive() {
        let out = render(&[Candidate::new("a", "help"), Candidate::new("b", "")], 4);
        assert_eq!(out, "a\thelp\nb\n:4\n");
    }
}
