//! The `PruneReport` for people: what went, what stayed and why, and the
//! proof, each byte figure next to the one it should match.

use super::{human_bytes, sanitize, table};
use crate::judge::prune::report::PruneReport;

fn signed(bytes: i64) -> String {
    let sign = if bytes < 0 { "-" } else { "+" };
    format!("{sign}{}", human_bytes(bytes.unsigned_abs()))
}

/// A copy as people know it: its first tag, else its id.
fn name(image: &str, tags: &[String]) -> String {
    sanitize(tags.first().map_or(image, String::as_str))
}

pub fn prune_report_text(report: &PruneReport) -> String {
    let mut out = format!("NODE {}\n", sanitize(&report.node));
    removed_table(&mut out, report);
    leftover_lines(&mut out, report);
    kept_and_failed_tables(&mut out, report);
    let totals = &report.totals;
    out.push_str(&format!(
        "\nTOTAL removed {}, kept {}, failed {}: predicted {}, measured {} (du), free space {}\n",
        totals.removed,
        totals.skipped,
        totals.failed,
        human_bytes(totals.predicted_bytes),
        human_bytes(totals.measured_bytes),
        signed(totals.free_bytes_delta)
    ));
    if report.interrupted {
        out.push_str("INTERRUPTED: the copies after the current one were not started; run the prune again to continue\n");
    }
    proof_lines(&mut out, report);
    out
}

/// Each removed copy, its predicted bytes next to the measured ones.
fn removed_table(out: &mut String, report: &PruneReport) {
    if report.removed.is_empty() {
        return;
    }
    let mut t = table(&[
        "REMOVED",
        "STORE",
        "NAMES",
        "PREDICTED",
        "MEASURED (du)",
        "FREE SPACE (statfs)",
    ]);
    for r in &report.removed {
        t.add_row(vec![
            name(&r.image, &r.tags),
            sanitize(&r.store),
            r.names.len().to_string(),
            human_bytes(r.predicted_bytes),
            human_bytes(r.measured_bytes),
            signed(r.free_bytes_delta),
        ]);
    }
    out.push_str(&format!("\n{t}\n"));
}

/// Each removed leftover store, with the checks that cleared it.
fn leftover_lines(out: &mut String, report: &PruneReport) {
    for l in &report.leftover_stores {
        out.push_str(&format!(
            "\nLEFTOVER STORE {} removed: predicted {}, measured {} (du), free space {}\n",
            sanitize(&l.path),
            human_bytes(l.predicted_bytes),
            human_bytes(l.measured_bytes),
            signed(l.free_bytes_delta)
        ));
        for check in &l.checks {
            out.push_str(&format!("  checked: {}\n", sanitize(check)));
        }
    }
}

/// The copies kept (and why), then those whose removal failed.
fn kept_and_failed_tables(out: &mut String, report: &PruneReport) {
    if !report.skipped.is_empty() {
        let mut t = table(&["KEPT", "STORE", "REASON", "WHY"]);
        for s in &report.skipped {
            let reason = serde_json::to_value(s.reason).ok();
            let reason = reason.as_ref().and_then(|v| v.as_str()).unwrap_or("-");
            t.add_row(vec![
                name(&s.image, &s.tags),
                sanitize(&s.store),
                reason.into(),
                sanitize(&s.detail),
            ]);
        }
        out.push_str(&format!("\n{t}\n"));
    }
    if !report.failed.is_empty() {
        let mut t = table(&["FAILED", "STORE", "ERROR"]);
        for f in &report.failed {
            t.add_row(vec![
                sanitize(&f.image),
                sanitize(&f.store),
                sanitize(&f.error),
            ]);
        }
        out.push_str(&format!("\n{t}\n"));
    }
}

/// The rescan's proof: the kept copies are whole, and what is reclaimable now.
fn proof_lines(out: &mut String, report: &PruneReport) {
    let Some(proof) = &report.proof else {
        return;
    };
    for k in &proof.kept {
        let state = if k.missing_after.is_empty() {
            "all present"
        } else {
            "MISSING"
        };
        out.push_str(&format!(
            "PROOF kept copies in {}: {} image(s) {state}, their layers {} before, {} after; the store's du {} before, {} after\n",
            sanitize(&k.store),
            k.images.len(),
            human_bytes(k.copy_bytes_before),
            human_bytes(k.copy_bytes_after),
            human_bytes(k.du_before),
            human_bytes(k.du_after)
        ));
    }
    out.push_str(&format!(
        "PROOF rescan: reclaimable {} before, {} after; {} removed image(s) still duplicate\n",
        human_bytes(proof.reclaimable_before),
        human_bytes(proof.reclaimable_after),
        proof.still_duplicate.len()
    ));
}
