//! The kubeconfig the server writes: cluster `sim` (plain http on
//! 127.0.0.1), context `sim` as current-context, user `sim` (no
//! credentials: the server asks for none).

use std::path::Path;

use serde_json::json;

fn render(server: &str) -> String {
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sim", "cluster": {"server": server}}],
        "users": [{"name": "sim", "user": {}}],
        "contexts": [{"name": "sim", "context": {"cluster": "sim", "user": "sim", "namespace": "default"}}],
        "current-context": "sim",
        "preferences": {},
    });
    serde_yaml::to_string(&doc).unwrap_or_default()
}

pub fn write(path: &Path, server: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, render(server))?;
    std::fs::rename(&tmp, path)
}
