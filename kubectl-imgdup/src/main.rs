//! `kubectl imgdup`: is this image stored twice on my nodes, and what do I get back?

mod airgap;
mod cleanup;
mod cli;
mod cluster;
mod complete;
mod connect;
mod connect_error;
mod contexts;
mod examples;
mod exit;
mod man;
mod node;
mod prune;
mod serve;
mod session;
mod top;
mod which;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use exit::Exit;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // Commands that talk to the cluster name its server and context on error.
    let remote = match &cli.command {
        None => !cli.cluster.dry_run,
        Some(cli::Command::Prune(args)) => !args.local,
        Some(cli::Command::Which(_) | cli::Command::Cleanup(_)) => true,
        _ => false,
    };
    let one_cluster =
        |command: &str| contexts::single(&cli.connect, cli.cluster.contexts.all_contexts, command);
    let result = match cli.command {
        Some(cli::Command::Node(args)) => node::run(args),
        Some(cli::Command::Prune(args)) => {
            one_cluster("prune").and_then(|()| prune::run(args, &cli.connect))
        }
        Some(cli::Command::PruneAgent(flags)) => prune::agent(flags),
        Some(cli::Command::Agent(flags)) => node::agent(flags),
        Some(cli::Command::Top(mut args)) => {
            // `kubectl imgdup --all-contexts top` means it too, as --context does.
            args.contexts.all_contexts |= cli.cluster.contexts.all_contexts;
            top::run(args, &cli.connect)
        }
        Some(cli::Command::Serve(args)) => serve::run(args),
        Some(cli::Command::Which(args)) => {
            one_cluster("which").and_then(|()| which::run(args, &cli.connect))
        }
        Some(cli::Command::Cleanup(args)) => {
            one_cluster("cleanup").and_then(|()| cleanup::run(args, &cli.connect))
        }
        Some(cli::Command::Completion { shell }) => Ok((completion(shell), Exit::Ok)),
        Some(cli::Command::Man { dir }) => man::run(&dir),
        Some(cli::Command::Complete { words }) => Ok((complete::run(words), Exit::Ok)),
        None => cluster::run(cli.cluster, &cli.connect),
    };
    match result.and_then(|(text, exit)| {
        std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map(|_| exit)
            .map_err(Into::into)
    }) {
        Ok(exit) => exit.into(),
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) if remote => {
            eprintln!("kubectl-imgdup: {}", connect::report(&e, &cli.connect));
            Exit::Error.into()
        }
        Err(e) => {
            eprintln!("kubectl-imgdup: {}", connect_error::chain_once(e.as_ref()));
            Exit::Error.into()
        }
    }
}

/// The completion script for the `kubectl-imgdup` executable (checked in
/// under completions/; `scripts/gen-completions` regenerates them).
fn completion(shell: clap_complete::Shell) -> String {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli::Cli::command(), "kubectl-imgdup", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}
