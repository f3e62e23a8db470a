//! The kubeconfig the server writes: cluster `sim` (plain http on
//! 127.0.0.1), context `sim` as current-context, a token user.

use std::path::Path;

use serde_json::json;

pub fn render(server: &str, user: &str, token: &str) -> String {
    let mut user_entry = json!({});
    if !token.is_empty() {
        user_entry["token"] = json!(token);
    }
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sim", "cluster": {"server": server}}],
        "users": [{"name": user, "user": user_entry}],
        "contexts": [{"name": "sim", "context": {"cluster": "sim", "user": user, "namespace": "default"}}],
        "current-context": "sim",
        "preferences": {},
    });
    serde_yaml::to_string(&doc).unwrap_or_default()
}

pub fn write(path: &Path, server: &str, user: &str, token: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, render(server, user, token))?;
    std::fs::rename(&tmp, path)
}
