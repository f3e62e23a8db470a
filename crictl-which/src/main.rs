//! `crictl-which`: which runtime, daemon chain and store crictl really uses.

mod cli;
mod examples;
mod man;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use imgdup::chain::{endpoint, which};
use imgdup::host::{process::ProcessTable, view::HostView};
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
    let config = match args.into_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "crictl-which: {}",
                imgdup::model::causes::joined(e.as_ref())
            );
            return ExitCode::from(2);
        }
    };
    match run(config) {
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

fn run(config: cli::Config) -> Result<ExitCode> {
    let resolution = endpoint::resolve(&config.inputs, &config.host)?;
    let procs = ProcessTable::scan(&config.proc_dir).with_context(|| {
        format!(
            "cannot read processes from {}; pass --proc",
            config.proc_dir.display()
        )
    })?;
    let node = HostView {
        host: config.host,
        procs,
        timeout: resolution.timeout,
        offline: config.offline,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let chain = runtime.block_on(which::which(&node, &config.inputs, &resolution));
    let text = match config.output {
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
