//! `kubectl imgdup top` on the real cluster, without the DaemonSet: one
//! agent pod per node, and rows that add up to the per-node reports of a
//! plain scan. The other formats are rendered from the same TopReport
//! (the hidden `--from-report`), so one fan-out covers all four.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

/// Per image id: (copies, nodes, reclaimable bytes), from the scan's
/// per-node reports, counted by hand.
pub(super) fn expected_rows(scan: &Value) -> BTreeMap<String, (u64, u64, u64)> {
    let mut rows: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for node in scan["nodes"].as_array().unwrap() {
        for i in node["images"].as_array().unwrap() {
            if i["verdict"] != "duplicate" {
                continue;
            }
            let incomplete = i["incompleteIn"].as_array().map_or(0, Vec::len) as u64;
            let copies = i["stores"].as_array().unwrap().len() as u64 - incomplete;
            let row = rows.entry(i["id"].as_str().unwrap().into()).or_default();
            row.0 += copies;
            row.1 += 1;
            row.2 += i["reclaimableBytes"].as_u64().unwrap();
        }
    }
    rows
}

pub(super) fn top_rows(top: &Value) -> BTreeMap<String, (u64, u64, u64)> {
    top["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let n = |k: &str| i[k].as_u64().unwrap();
            (
                i["id"].as_str().unwrap().to_string(),
                (n("copies"), n("nodes"), n("reclaimableBytes")),
            )
        })
        .collect()
}

fn render(saved: &std::path::Path, format: &str) -> String {
    let out = cmd()
        .args(["top", "--from-report"])
        .arg(saved)
        .args(["-o", format])
        .run();
    assert_exit(&out, 0);
    stdout(&out)
}

#[test]
fn top_lists_the_seed_duplicates_with_the_scans_totals_in_every_format() {
    let lab = lab();
    let started = std::time::Instant::now();
    let out = lab.imgdup(None, &["-n", "imgdup", "-o", "json", "--timeout", "120s"]);
    assert_exit(&out, 0);
    let scan = json(&out);
    let out = lab.imgdup(
        None,
        &["top", "-n", "imgdup", "-o", "json", "--timeout", "120s"],
    );
    assert_exit(&out, 0);
    eprintln!("scan + top on the real cluster: {:?}", started.elapsed());
    assert_eq!(lab.our_pods(), 0, "every agent pod is deleted");
    let top = json(&out);
    assert_eq!(top["kind"], "TopReport");
    assert_eq!(top["apiVersion"], "imgdup/v1");

    // Every row adds up to the scan's per-node reports.
    let expected = expected_rows(&scan);
    assert_eq!(top_rows(&top), expected, "{top:#}");
    let total = &top["total"];
    assert_eq!(total["reclaimableBytes"], scan["reclaimableBytes"]);
    assert_eq!(total["images"], expected.len());
    let copies: u64 = expected.values().map(|r| r.0).sum();
    assert_eq!(total["copies"], copies);
    let leftover: u64 = scan["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["stores"].as_array().unwrap())
        .filter(|s| s["live"] == false)
        .map(|s| s["diskBytes"].as_u64().unwrap())
        .sum();
    assert_eq!(total["leftoverBytes"], leftover);
    assert!(leftover > 0, "runtime-switch keeps /var/lib/docker offline");

    // The seed scenarios' duplicates: app-a on the three duplicate nodes.
    let app_a = image(&top, "imgdup.test/app-a:1");
    assert_eq!(
        app_a["nodeNames"],
        json!(["containerd2", "runtime-switch", "two-containerds"]),
        "{app_a:#}"
    );
    let sources: Vec<&Value> = top["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["source"])
        .collect();
    assert_eq!(sources, vec!["agent-pod"; NODES.len()], "no DaemonSet here");

    // The other three formats, from this very report.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("top.json");
    std::fs::write(&saved, &out.stdout).unwrap();
    let csv = render(&saved, "csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "row,image,tags,copies,nodes,reclaimableBytes,stores,node,store,diskBytes"
    );
    assert_eq!(
        lines[1],
        format!(
            "total,,,{copies},{},{},,,,{leftover}",
            total["nodes"], total["reclaimableBytes"]
        )
    );
    for (id, (copies, nodes, bytes)) in &expected {
        let prefix = format!("image,{id},");
        let line = lines
            .iter()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no CSV row for {id}:\n{csv}"));
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(
            (f[3], f[4], f[5]),
            (
                copies.to_string().as_str(),
                nodes.to_string().as_str(),
                bytes.to_string().as_str()
            ),
            "{line}"
        );
    }
    let table = render(&saved, "table");
    let first = table.lines().nth(1).unwrap_or_default();
    assert!(first.trim_start().starts_with("TOTAL"), "{table}");
    assert!(table.contains("imgdup.test/app-a:1"), "{table}");
    assert!(
        table.contains("LEFTOVER STORE") && table.contains("runtime-switch"),
        "{table}"
    );
    assert!(
        !table.contains(&app_a["reclaimableBytes"].to_string()),
        "human bytes: {table}"
    );
    let wide = render(&saved, "wide");
    eprintln!("{wide}\n{csv}");
    assert_eq!(wide.matches("agent-pod").count(), NODES.len(), "{wide}");

    // The same aggregation from the plain scan's report.
    let scan_file = dir.path().join("scan.json");
    std::fs::write(&scan_file, serde_json::to_vec(&scan).unwrap()).unwrap();
    let again: Value = serde_json::from_str(&render(&scan_file, "json")).unwrap();
    assert_eq!(again["images"], top["images"]);
    assert_eq!(again["total"], top["total"]);
}
