//! The views of a `TopReport`: a table for people (human bytes), and CSV
//! with raw bytes for spreadsheets and scripts.

use std::fmt::Write as _;

use super::{ReportError, human_bytes, or_dash, sanitize, table};
use crate::model::image_finding::Verdict;
use crate::model::top_report::{Source, TopReport};

pub fn top_text(top: &TopReport, wide: bool) -> String {
    let mut out = String::new();
    let mut header = vec!["IMAGE", "COPIES", "NODES", "RECLAIMABLE", "STORES"];
    if wide {
        header.extend(["ID", "ON NODES"]);
    }
    let mut images = table(&header);
    let t = &top.total;
    let mut total = vec![
        format!("TOTAL ({} image(s))", t.images),
        t.copies.to_string(),
        t.nodes.to_string(),
        human_bytes(t.reclaimable_bytes),
        format!(
            "{} leftover store(s), {}",
            t.leftover_stores,
            human_bytes(t.leftover_bytes)
        ),
    ];
    if wide {
        total.extend(["-".into(), format!("{} asked", top.nodes.len())]);
    }
    images.add_row(total);
    for i in &top.images {
        let mut row = vec![
            sanitize(i.name()),
            i.copies.to_string(),
            i.nodes.to_string(),
            human_bytes(i.reclaimable_bytes),
            sanitize(&i.stores.join(", ")),
        ];
        if wide {
            row.extend([i.id.clone(), sanitize(&i.node_names.join(","))]);
        }
        images.add_row(row);
    }
    let _ = writeln!(out, "{images}");

    if !top.leftover_stores.is_empty() {
        let mut leftovers = table(&["NODE", "LEFTOVER STORE", "IMAGES", "DISK"]);
        for s in &top.leftover_stores {
            leftovers.add_row(vec![
                sanitize(&s.node),
                sanitize(&s.store),
                s.images.to_string(),
                human_bytes(s.disk_bytes),
            ]);
        }
        let _ = writeln!(out, "\n{leftovers}");
    }
    if wide {
        let mut nodes = table(&["NODE", "SOURCE", "VERDICT", "RECLAIMABLE", "DETAIL"]);
        for n in &top.nodes {
            nodes.add_row(vec![
                sanitize(&n.node),
                source_str(n.source).into(),
                n.verdict.as_str().into(),
                human_bytes(n.reclaimable_bytes),
                or_dash(n.reason.as_deref().or(n.source_detail.as_deref())),
            ]);
        }
        let _ = writeln!(out, "\n{nodes}");
    } else {
        for n in top.nodes.iter().filter(|n| n.verdict == Verdict::Unknown) {
            let _ = writeln!(
                out,
                "{}: unknown: {}",
                sanitize(&n.node),
                or_dash(n.reason.as_deref())
            );
        }
    }
    out
}

pub fn source_str(source: Source) -> &'static str {
    match source {
        Source::Daemonset => "daemonset",
        Source::AgentPod => "agent-pod",
        Source::None => "none",
    }
}

const CSV_HEADER: [&str; 10] = [
    "row",
    "image",
    "tags",
    "copies",
    "nodes",
    "reclaimableBytes",
    "stores",
    "node",
    "store",
    "diskBytes",
];

/// One CSV table for all of `reports`: `row` is `total`, `image` or
/// `leftover-store`; bytes are raw; lists are `;`-separated. With several
/// contexts, a first `context` column says whose row it is.
pub fn top_csv<'a>(
    reports: impl IntoIterator<Item = (&'a str, &'a TopReport)>,
    with_context: bool,
) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let lead: &[&str] = if with_context { &["context"] } else { &[] };
    w.write_record(lead.iter().chain(&CSV_HEADER))?;
    for (context, top) in reports {
        let lead: &[&str] = if with_context { &[context] } else { &[] };
        let mut row = |fields: [String; 10]| {
            w.write_record(
                lead.iter()
                    .copied()
                    .chain(fields.iter().map(String::as_str)),
            )
        };
        let t = &top.total;
        row([
            "total".into(),
            String::new(),
            String::new(),
            t.copies.to_string(),
            t.nodes.to_string(),
            t.reclaimable_bytes.to_string(),
            String::new(),
            String::new(),
            String::new(),
            t.leftover_bytes.to_string(),
        ])?;
        for i in &top.images {
            row([
                "image".into(),
                i.id.clone(),
                i.tags.join(";"),
                i.copies.to_string(),
                i.nodes.to_string(),
                i.reclaimable_bytes.to_string(),
                i.stores.join(";"),
                i.node_names.join(";"),
                String::new(),
                String::new(),
            ])?;
        }
        for s in &top.leftover_stores {
            row([
                "leftover-store".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                s.node.clone(),
                s.store.clone(),
                s.disk_bytes.to_string(),
            ])?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Csv(e.into_error().into()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
