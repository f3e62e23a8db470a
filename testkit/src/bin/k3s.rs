//! `k3s`: test stand-in for the k3s multicall binary. Its only job is to be a
//! process named `k3s` with a realistic command line (`k3s agent --docker
//! ...`), so that code which detects runtimes from /proc can be tested. It
//! accepts any arguments, because k3s has hundreds of flags, and lives until
//! SIGTERM or SIGINT.

use std::process::ExitCode;

use tokio::signal::unix::{SignalKind, signal};

/// Tools that real k3s bundles, reached as `k3s crictl ...` or through a
/// symlink named `crictl`. The stand-in refuses them loudly, so a test never
/// mistakes it for a working crictl.
const TOOLS: &[&str] = &["crictl", "ctr", "kubectl"];

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // args_os: k3s flags may carry any bytes, and bad input must not panic.
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let called_as = argv
        .first()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or("");
    let args = argv.get(1..).unwrap_or_default();
    let first_arg = args.first().map(String::as_str);
    let tool = [Some(called_as), first_arg]
        .into_iter()
        .flatten()
        .find(|name| TOOLS.contains(name));
    if let Some(tool) = tool {
        eprintln!("k3s stand-in: subcommand {tool} is not implemented");
        return ExitCode::FAILURE;
    }
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(term), Ok(int)) => (term, int),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("k3s stand-in: cannot handle signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("k3s stand-in (test only): args {args:?}; sleeping until SIGTERM");
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    ExitCode::SUCCESS
}
