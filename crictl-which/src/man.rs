//! `crictl-which --man` (hidden): the man page, as roff on stdout.
//! `scripts/gen-docs` checks it in as man/crictl-which.1; a test fails when stale.

use std::io::Write;

use clap::CommandFactory;

pub fn print() -> std::io::Result<()> {
    let man = clap_mangen::Man::new(crate::cli::Args::command())
        .source(concat!("imgdup ", env!("CARGO_PKG_VERSION")))
        .manual("imgdup");
    let mut page = Vec::new();
    man.render(&mut page)?;
    // The --help examples (after_help) are the page's EXAMPLES section.
    let page =
        String::from_utf8_lossy(&page).replace("\n.SH EXTRA\nExamples:\n", "\n.SH EXAMPLES\n");
    std::io::stdout().lock().write_all(page.as_bytes())
}
