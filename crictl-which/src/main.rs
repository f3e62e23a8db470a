//! `crictl-which`: which runtime, daemon chain and store crictl really uses.

mod cli;
mod examples;
mod man;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use imgdup::chain::open::{OpenError, OpenedHost};
use imgdup::chain::which;
use imgdup::host::view::HostView;
use imgdup::report;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    if let Some(shell) = args.completions {
        use clap::CommandFactory;
        clap_complete::generate(
            shell,
            &mut cli::Args::command(),
            "crictl-which",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    if args.man {
        return match man::print() {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        };
    }
    let (flags, output) = args.into_config();
    // A --host-root that is not there is a usage error (2), as it was
    // before anything is read; the rest fail the run (1).
    let opened = match HostView::open(flags) {
        Ok(o) => o,
        Err(e) => {
            let usage = matches!(e, OpenError::HostRoot { .. });
            eprintln!("crictl-which: {}", imgdup::model::causes::joined(&e));
            return if usage {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            };
        }
    };
    match run(opened, output) {
        Ok(code) => code,
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "crictl-which: {}",
                imgdup::model::causes::joined(e.as_ref())
            );
            ExitCode::FAILURE
        }
    }
}

fn run(opened: OpenedHost, output: cli::Output) -> Result<ExitCode> {
    let OpenedHost {
        view: node,
        inputs,
        resolution,
    } = opened;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let chain = runtime.block_on(which::which(&node, &inputs, &resolution));
    let text = match output {
        cli::Output::Text => report::chain_text(&chain),
        cli::Output::Json => report::to_json(&chain)?,
        cli::Output::Yaml => report::to_yaml(&chain)?,
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    if let Some(err) = chain.first_error() {
        eprintln!("crictl-which: {err}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(if chain.hops.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
