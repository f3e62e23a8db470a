//! The text view of a `Chain`.

use std::fmt::Write as _;

use comfy_table::Table;

use super::{or_dash, sanitize, table};
use crate::model::chain::{Chain, Hop, OtherRuntime};

fn hop_table(hops: &[Hop]) -> Table {
    let mut t = table(&[
        "#",
        "KIND",
        "ENDPOINT",
        "PID",
        "VERSION",
        "ROOT",
        "NAMESPACE",
        "CONFIDENCE",
    ]);
    for (i, hop) in hops.iter().enumerate() {
        let kind = match &hop.embedded_in {
            Some(host) => format!("{} (in {host})", hop.kind.as_str()),
            None => hop.kind.as_str().to_string(),
        };
        let root = match (&hop.root, &hop.driver) {
            (Some(r), Some(drv)) if hop.kind == crate::model::chain::HopKind::Dockerd => {
                format!("{} ({})", sanitize(r), sanitize(drv))
            }
            (r, _) => or_dash(r.as_deref()),
        };
        let confidence = if hop.error.is_some() {
            "error".to_string()
        } else {
            format!("{:?}", hop.confidence).to_lowercase()
        };
        t.add_row(vec![
            (i + 1).to_string(),
            kind,
            sanitize(&hop.endpoint),
            hop.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            or_dash(hop.version.as_deref()),
            root,
            or_dash(hop.namespace.as_deref()),
            confidence,
        ]);
    }
    t
}

fn evidence_lines(out: &mut String, hops: &[Hop]) {
    for (i, hop) in hops.iter().enumerate() {
        for e in &hop.evidence {
            let _ = writeln!(
                out,
                "  {}. {:<15} {}",
                i + 1,
                e.source.as_str(),
                sanitize(&e.detail)
            );
        }
        if let Some(err) = &hop.error {
            let _ = writeln!(out, "  {}. {:<15} {}", i + 1, "ERROR", sanitize(err));
        }
    }
}

/// The text view: endpoints, one line per hop, the store, the others.
pub fn chain_text(chain: &Chain) -> String {
    let mut out = String::new();
    endpoint_lines(&mut out, chain);
    out.push('\n');
    if chain.hops.is_empty() {
        out.push_str("no hops: crictl reaches no runtime\n");
    } else {
        let _ = writeln!(out, "{}", hop_table(&chain.hops));
    }
    if !chain.image_hops.is_empty() {
        let _ = writeln!(
            out,
            "\nIMAGE ENDPOINT CHAIN\n{}",
            hop_table(&chain.image_hops)
        );
    }
    match &chain.store {
        Some(s) => {
            let ns = s
                .namespace
                .as_deref()
                .map(|n| format!(", namespace {n}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "\nSTORE  {}  ({}{ns}, {:?})",
                sanitize(&s.path),
                s.runtime.as_str(),
                s.confidence
            );
        }
        None => out.push_str("\nSTORE  unknown\n"),
    }
    out.push_str("\nEVIDENCE\n");
    evidence_lines(&mut out, &chain.hops);
    if !chain.image_hops.is_empty() {
        out.push_str("IMAGE ENDPOINT EVIDENCE\n");
        evidence_lines(&mut out, &chain.image_hops);
    }
    out.push_str("\nOTHER RUNTIMES (not on crictl's chain)\n");
    others_table(&mut out, &chain.others);
    for w in &chain.warnings {
        let _ = writeln!(out, "\nwarning: {}", sanitize(w));
    }
    out
}

/// What crictl resolved: both endpoints, its config file, k3s's own
/// crictl, and each default endpoint probed.
fn endpoint_lines(out: &mut String, chain: &Chain) {
    let endpoint = |e: &crate::model::chain::EndpointRef| {
        format!(
            "{}  ({}: {})",
            or_dash(e.url.as_deref()),
            e.source,
            sanitize(&e.detail)
        )
    };
    let _ = writeln!(
        out,
        "RUNTIME ENDPOINT  {}",
        endpoint(&chain.runtime_endpoint)
    );
    let _ = writeln!(out, "IMAGE ENDPOINT    {}", endpoint(&chain.image_endpoint));
    let config = match (&chain.config.loaded, &chain.config.note) {
        (Some(loaded), _) => format!("{} (read)", sanitize(loaded)),
        (None, Some(note)) => format!("none ({})", sanitize(note)),
        (None, None) => "none".into(),
    };
    let _ = writeln!(out, "CRICTL CONFIG     {config}");
    if let Some(k) = &chain.k3s_crictl {
        let _ = writeln!(
            out,
            "K3S CRICTL        {} via {}{}",
            or_dash(k.runtime_endpoint.as_deref()),
            or_dash(k.config_file.as_deref()),
            if k.same_as_crictl {
                ""
            } else {
                "  (DIFFERENT from crictl)"
            }
        );
    }
    for p in &chain.probes {
        let result = if p.ok {
            "ok".to_string()
        } else {
            format!("failed: {}", or_dash(p.error.as_deref()))
        };
        let _ = writeln!(
            out,
            "PROBE             {} {:.1} ms {result}",
            p.endpoint, p.elapsed_ms
        );
    }
}

/// The runtimes off crictl's chain, or `none`.
fn others_table(out: &mut String, others: &[OtherRuntime]) {
    if others.is_empty() {
        out.push_str("none\n");
        return;
    }
    let mut t = table(&["KIND", "ENDPOINT", "ROOT", "RUNNING", "PID", "NAMESPACES"]);
    for o in others {
        t.add_row(vec![
            o.kind.as_str().to_string(),
            or_dash(o.endpoint.as_deref()),
            or_dash(o.root.as_deref()),
            if o.running { "yes" } else { "no" }.to_string(),
            o.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            if o.namespaces.is_empty() {
                "-".into()
            } else {
                sanitize(&o.namespaces.join(","))
            },
        ]);
    }
    let _ = writeln!(out, "{t}");
}
