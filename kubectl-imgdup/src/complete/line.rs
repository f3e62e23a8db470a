//! The words typed so far, read against the clap definition: which
//! (sub)command, which flags (and `--context`, `--kubeconfig`, `-l`
//! values), which positionals, and what the current word should become.

use std::path::PathBuf;

use clap::{Arg, Command};

use super::Candidate;

/// What the line says so far.
#[derive(Debug, Default)]
pub struct Line<'c> {
    /// The (sub)command being typed, root first.
    pub path: Vec<&'c Command>,
    /// The previous word is this flag: its value is being typed.
    pub pending: Option<&'c Arg>,
    /// Positional words already typed for the current (sub)command.
    pub positionals: Vec<String>,
    /// Ids of the flags already given.
    pub seen: Vec<String>,
    pub context: Option<String>,
    pub kubeconfig: Option<PathBuf>,
    pub selector: Option<String>,
    /// After a `--`: everything is positional.
    pub raw: bool,
}

/// What the current word should become.
#[derive(Debug)]
pub enum Want<'c> {
    /// A flag's value; `prefix` is what precedes it in the word (`--context=`).
    Value {
        arg: &'c Arg,
        prefix: String,
    },
    Flags,
    /// A positional word: subcommands (when allowed) and the positional's values.
    Positional {
        subcommands: bool,
        arg: Option<&'c Arg>,
    },
}

pub(super) fn takes_value(a: &Arg) -> bool {
    a.get_action().takes_values()
}

impl<'c> Line<'c> {
    fn cmd(&self) -> &'c Command {
        self.path[self.path.len() - 1]
    }

    /// A flag of the current command or of one of its parents.
    fn find(&self, f: impl Fn(&Arg) -> bool) -> Option<&'c Arg> {
        self.path
            .iter()
            .rev()
            .find_map(|c| c.get_arguments().find(|a| !a.is_positional() && f(a)))
    }

    fn long(&self, name: &str) -> Option<&'c Arg> {
        self.find(|a| {
            a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name))
        })
    }

    fn short(&self, c: char) -> Option<&'c Arg> {
        self.find(|a| a.get_short() == Some(c))
    }

    fn record(&mut self, arg: &Arg, value: &str) {
        match arg.get_id().as_str() {
            "context" => self.context = Some(value.into()),
            "kubeconfig" => self.kubeconfig = Some(value.into()),
            "selector" => self.selector = Some(value.into()),
            _ => {}
        }
    }

    fn flag(&mut self, arg: &'c Arg, value: Option<&str>) {
        self.seen.push(arg.get_id().to_string());
        match value {
            Some(v) => self.record(arg, v),
            None if takes_value(arg) => self.pending = Some(arg),
            None => {}
        }
    }

    /// Reads the words before the one being completed.
    pub fn parse(root: &'c Command, done: &[String]) -> Self {
        let mut line = Line {
            path: vec![root],
            ..Line::default()
        };
        for w in done {
            if let Some(arg) = line.pending.take() {
                line.record(arg, w);
                continue;
            }
            if !line.raw && w == "--" {
                line.raw = true;
            } else if !line.raw && w.starts_with("--") {
                let (name, value) = match w[2..].split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (&w[2..], None),
                };
                if let Some(arg) = line.long(name) {
                    line.flag(arg, value);
                }
            } else if !line.raw && w.starts_with('-') && w.len() > 1 {
                // `-n ns`, `-nns`, `-n=ns`, or a cluster of switches.
                for (i, c) in w.char_indices().skip(1) {
                    let Some(arg) = line.short(c) else { break };
                    if takes_value(arg) {
                        let rest = &w[i + c.len_utf8()..];
                        let rest = rest.strip_prefix('=').unwrap_or(rest);
                        line.flag(arg, (!rest.is_empty()).then_some(rest));
                        break;
                    }
                    line.flag(arg, None);
                }
            } else if let Some(sub) = line.subcommand(w) {
                line.path.push(sub);
                line.positionals.clear();
                line.seen.clear();
            } else {
                line.positionals.push(w.clone());
            }
        }
        line
    }

    /// Subcommands are possible before any positional word, and for a
    /// command whose own arguments conflict with them, before any flag.
    fn subcommands_allowed(&self) -> bool {
        let cmd = self.cmd();
        !self.raw
            && self.positionals.is_empty()
            && cmd.has_subcommands()
            && (self.seen.is_empty() || !cmd.is_args_conflicts_with_subcommands_set())
    }

    fn subcommand(&self, word: &str) -> Option<&'c Command> {
        if !self.subcommands_allowed() {
            return None;
        }
        self.cmd()
            .get_subcommands()
            .find(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))
    }

    /// What `current` should become.
    pub fn want(&self, current: &str) -> (Want<'c>, String) {
        if let Some(arg) = self.pending {
            return (
                Want::Value {
                    arg,
                    prefix: String::new(),
                },
                current.into(),
            );
        }
        if !self.raw && current.starts_with("--") {
            if let Some((name, value)) = current[2..].split_once('=')
                && let Some(arg) = self.long(name).filter(|a| takes_value(a))
            {
                let prefix = format!("--{name}=");
                return (Want::Value { arg, prefix }, value.into());
            }
            return (Want::Flags, current.into());
        }
        if !self.raw && current.starts_with('-') {
            return (Want::Flags, current.into());
        }
        let index = self.positionals.len();
        let arg = self
            .cmd()
            .get_positionals()
            .filter(|a| !a.is_hide_set())
            .enumerate()
            .find(|(i, a)| {
                *i == index || (*i < index && a.get_num_args().is_some_and(|n| n.max_values() > 1))
            })
            .map(|(_, a)| a);
        let subcommands = self.subcommands_allowed();
        (Want::Positional { subcommands, arg }, current.into())
    }

    /// The flags that can still be given.
    pub(super) fn flags(&self) -> Vec<Candidate> {
        let mut out = Vec::new();
        for a in self.cmd().get_arguments() {
            if a.is_positional() || a.is_hide_set() {
                continue;
            }
            let repeatable = matches!(
                a.get_action(),
                clap::ArgAction::Append | clap::ArgAction::Count
            );
            if !repeatable && self.seen.iter().any(|s| s == a.get_id().as_str()) {
                continue;
            }
            let help = first_line(a.get_help());
            if let Some(l) = a.get_long() {
                out.push(Candidate::new(format!("--{l}"), help.clone()));
            }
            if let Some(s) = a.get_short() {
                out.push(Candidate::new(format!("-{s}"), help));
            }
        }
        out
    }

    pub(super) fn subcommand_candidates(&self) -> Vec<Candidate> {
        self.cmd()
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| Candidate::new(s.get_name(), first_line(s.get_about())))
            .collect()
    }
}

pub(super) fn first_line(s: Option<&clap::builder::StyledStr>) -> String {
    s.map(|s| s.to_string())
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_line_keeps_kubeconfig_context_and_selector() {
        let root = crate::cli::Cli::command();
        let done: Vec<String> = ["--kubeconfig=/k", "--context", "c1", "-ltier=a", "n1"]
            .map(String::from)
            .to_vec();
        let line = Line::parse(&root, &done);
        assert_eq!(line.kubeconfig, Some(PathBuf::from("/k")));
        assert_eq!(line.context.as_deref(), Some("c1"));
        assert_eq!(line.selector.as_deref(), Some("tier=a"));
        assert_eq!(line.positionals, ["n1"]);
    }
}
