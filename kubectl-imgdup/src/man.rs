//! `kubectl imgdup man DIR` (hidden): writes the man pages, one for the
//! plugin and one per visible subcommand (`kubectl-imgdup-node.1`, …).
//! `scripts/gen-docs` checks them in under man/; a test fails when stale.

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::exit::Exit;

pub fn run(dir: &Path) -> Result<(String, Exit)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut cmd = crate::cli::Cli::command().disable_help_subcommand(true);
    cmd.build();
    write_pages(&cmd, dir)?;
    Ok((String::new(), Exit::Ok))
}

fn write_pages(cmd: &clap::Command, dir: &Path) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    let man = clap_mangen::Man::new(cmd.clone())
        .source(concat!("imgdup ", env!("CARGO_PKG_VERSION")))
        .manual("imgdup");
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page)?;
    // The --help examples (after_help) are the page's EXAMPLES section.
    let page =
        String::from_utf8_lossy(&page).replace("\n.SH EXTRA\nExamples:\n", "\n.SH EXAMPLES\n");
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))
}
