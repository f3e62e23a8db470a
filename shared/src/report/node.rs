//! The text views of a `NodeReport` and of its prune plan.

use std::fmt::Write as _;

use super::{or_dash, sanitize, table};
use crate::judge::prune::script::{PrunePlan, Step};
use crate::model::bytes::human_bytes;
use crate::model::node_report::NodeReport;

fn short(id: &str) -> String {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.chars().take(12).collect()
}

/// `-o table` (and `wide`): a summary line, the stores, the notable images.
pub fn node_text(report: &NodeReport, wide: bool) -> String {
    let mut out = String::new();
    let mut summary = table(&["NODE", "VERDICT", "STORES", "IMAGES", "RECLAIMABLE"]);
    summary.add_row(vec![
        sanitize(&report.node),
        report.verdict.as_str().to_string(),
        report.stores.len().to_string(),
        report.images.len().to_string(),
        human_bytes(report.reclaimable_bytes),
    ]);
    let _ = writeln!(out, "{summary}");
    if let Some(reason) = &report.reason {
        let _ = writeln!(out, "reason: {}", sanitize(reason));
    }

    let mut stores = table(&[
        "STORE",
        "RUNTIME",
        "LIVE",
        "ACTIVE",
        "IMAGES",
        "DISK",
        "REACHED BY",
    ]);
    for s in &report.stores {
        stores.add_row(vec![
            sanitize(&s.id),
            s.runtime.as_str().to_string(),
            yes_no(s.live),
            yes_no(s.active),
            s.images.to_string(),
            human_bytes(s.disk_bytes),
            or_dash(Some(&s.reached_by.join(", "))),
        ]);
    }
    let _ = writeln!(out, "\n{stores}");

    let notable: Vec<_> = report.notable_images().collect();
    if !notable.is_empty() {
        let mut header = vec!["IMAGE", "TAGS", "VERDICT", "STORES", "RECLAIMABLE"];
        if wide {
            header.extend(["LAYERS", "DIGESTS"]);
        }
        let mut images = table(&header);
        for f in &notable {
            let mut row = vec![
                if wide { f.id.clone() } else { short(&f.id) },
                or_dash(Some(&f.tags.join(","))),
                f.verdict.as_str().to_string(),
                sanitize(&f.stores.join(", ")),
                human_bytes(f.reclaimable_bytes),
            ];
            if wide {
                row.push(f.diff_ids.len().to_string());
                row.push(or_dash(Some(&f.repo_digests.join(","))));
            }
            images.add_row(row);
        }
        let _ = writeln!(out, "\n{images}");
        // One line of proof per distinct reason (alias hops, split, orphan).
        let mut reasons: Vec<String> = notable
            .iter()
            .map(|f| format!("{}: {}", f.verdict.as_str(), sanitize(&f.reason)))
            .collect();
        reasons.dedup();
        if wide || reasons.len() <= 5 {
            for r in reasons {
                let _ = writeln!(out, "  {r}");
            }
        }
    }
    for finding in &report.findings {
        let _ = writeln!(out, "\nnote: {}", sanitize(finding));
    }
    out
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// The prune plan as lines to paste: commands as they are, notes as `# …`.
pub fn prune_text(plan: &PrunePlan) -> String {
    let mut out = format!(
        "# node {}: {} reclaimable\n",
        sanitize(&plan.node),
        human_bytes(plan.reclaimable_bytes)
    );
    for step in &plan.steps {
        match step {
            Step::Command(c) => out.push_str(&format!("{}\n", sanitize(c))),
            Step::Note(n) => out.push_str(&format!("# {}\n", sanitize(n))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_use_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
        assert_eq!(human_bytes((18 << 30) / 10), "1.8 GiB");
    }
}
