//! Server-side printing: `meta.k8s.io/v1` Table answers when the client
//! asks for them (kubectl get does), with the columns the real server
//! prints (pkg/printers/internalversion), and PartialObjectMetadata answers.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::printers::{cells, columns};
use super::store::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Table,
    Metadata,
}

pub fn negotiate(headers: &HeaderMap) -> Format {
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    for clause in accept.split(',') {
        let params: Vec<&str> = clause.split(';').map(str::trim).collect();
        let has = |p: &str| params.contains(&p);
        if has("g=meta.k8s.io") && has("as=Table") {
            return Format::Table;
        }
        if has("g=meta.k8s.io")
            && (has("as=PartialObjectMetadata") || has("as=PartialObjectMetadataList"))
        {
            return Format::Metadata;
        }
        if params
            .first()
            .is_some_and(|m| *m == "application/json" || *m == "*/*")
        {
            return Format::Json;
        }
    }
    Format::Json
}

/// kubectl's duration.HumanDuration.
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    let secs = secs.max(0);
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    format!("{}y", hours / 24 / 365)
}

pub fn partial_metadata(o: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"].clone()})
}

/// A Table of `items`; `include` is the includeObject parameter.
pub fn table(kind: Kind, items: &[&Value], rv: u64, include: &str) -> Value {
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let object = match include {
                "None" => Value::Null,
                "Object" => (*o).clone(),
                _ => partial_metadata(o),
            };
            json!({"cells": cells(kind, o), "object": object})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv.to_string()},
        "columnDefinitions": columns(kind),
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (s, want) in [
            (5, "5s"),
            (119, "119s"),
            (125, "2m5s"),
            (600, "10m"),
            (3600 * 3 + 60, "3h1m"),
            (3600 * 30, "30h"),
            (3600 * 24 * 3, "3d"),
        ] {
            assert_eq!(human_duration(s), want);
        }
    }

    #[test]
    fn pod_statuses() {
        use crate::apiserver::printers::pod_status;
        let p = json!({"spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Pending", "containerStatuses": [{"restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}, "metadata": {}});
        assert_eq!(pod_status(&p).0, "ImagePullBackOff");
        let p = json!({"spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Succeeded", "containerStatuses": [{"restartCount": 0, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}, "metadata": {}});
        assert_eq!(pod_status(&p).0, "Completed");
        let p = json!({"spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Running", "containerStatuses": [{"ready": true, "restartCount": 0, "state": {"running": {}}}]}, "metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z"}});
        assert_eq!(pod_status(&p), ("Terminating".into(), 1, 1, 0));
    }
}
