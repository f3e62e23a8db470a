//! krew's own checks of a plugin manifest, restated so that a test can run
//! them without krew (it cannot be downloaded here). Sources, in
//! kubernetes-sigs/krew:
//! - `internal/index/validation/validate.go` (`ValidatePlugin`):
//!   apiVersion `krew.googlecontainertools.github.com/v1alpha2` and kind
//!   `Plugin` (pkg/constants); the name matches `^[\w-]+$`, is no Windows
//!   device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9) and equals the
//!   manifest's file name; shortDescription is set and has no `\r` or `\n`;
//!   platforms is non-empty; version is set and parses as semver with a
//!   leading `v` (`internal/installation/semver`). Per platform
//!   (`validatePlatform`): uri set; sha256 set and matching `^[a-f0-9]{64}$`;
//!   bin set; `files`, when given, non-empty with `from` and `to` set; the
//!   selector present, not empty, only the keys `os` and `arch`, and a given
//!   `matchLabels` not empty.
//! - `cmd/validate-krew-manifest/main.go` (what krew-index's CI runs): every
//!   platform's selector matches one of krew's supported <os, arch> pairs, no
//!   pair is matched by two platforms, and the installed files include a
//!   LICENSE (or alike).
//! - `site/content/docs/developer-guide/plugin-manifest.md` and
//!   `develop/naming-guide.md`: the shortDescription is a few words; names
//!   are lowercase with hyphens and do not start with "kube". Ours also keeps
//!   the shortDescription under 256 characters.

use serde_yaml::Value;

/// krew's supported <os, arch> pairs (`allPlatforms()` in validate-krew-manifest).
pub const KREW_PLATFORMS: [(&str, &str); 11] = [
    ("windows", "386"),
    ("windows", "amd64"),
    ("windows", "arm64"),
    ("linux", "386"),
    ("linux", "amd64"),
    ("linux", "arm"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("darwin", "386"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
];

/// How sha256 values are checked: real sums, or the template's placeholders.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sums {
    Real,
    Placeholders,
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_str()
        .unwrap_or_default()
}

/// The first rule `manifest` breaks, for plugin `name`.
pub fn check(name: &str, manifest: &Value, sums: Sums) -> Result<(), String> {
    if s(manifest, &["apiVersion"]) != "krew.googlecontainertools.github.com/v1alpha2" {
        return Err("unsupported apiVersion".into());
    }
    if s(manifest, &["kind"]) != "Plugin" {
        return Err("kind must be Plugin".into());
    }
    let mut forbidden = ["CON", "PRN", "AUX", "NUL"]
        .into_iter()
        .map(String::from)
        .chain((1..=9).flat_map(|i| [format!("COM{i}"), format!("LPT{i}")]));
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        || forbidden.any(|f| f.eq_ignore_ascii_case(name))
    {
        return Err(format!("plugin name {name:?} is not allowed"));
    }
    if s(manifest, &["metadata", "name"]) != name {
        return Err(format!("plugin should be named {name:?}"));
    }
    if name.chars().any(|c| c.is_ascii_uppercase() || c == '_') || name.starts_with("kube") {
        return Err(format!("{name:?} breaks the naming guide"));
    }
    let spec = &manifest["spec"];
    let short = s(spec, &["shortDescription"]);
    if short.is_empty() || short.contains(['\r', '\n']) || short.len() >= 256 {
        return Err("shortDescription must be one non-empty line under 256 chars".into());
    }
    if s(spec, &["description"]).trim().is_empty() {
        return Err("description is required".into());
    }
    let version = s(spec, &["version"]);
    if !is_semver_with_v(version) {
        return Err(format!(
            "version {version:?} is not semver with a leading v"
        ));
    }
    let platforms = spec["platforms"].as_sequence().cloned().unwrap_or_default();
    if platforms.is_empty() {
        return Err("should have a platform specified".into());
    }
    for (i, p) in platforms.iter().enumerate() {
        platform(p, sums).map_err(|e| format!("platform {i}: {e}"))?;
        if !KREW_PLATFORMS.iter().any(|&pair| matches(p, pair)) {
            return Err(format!("platform {i} matches no supported platform"));
        }
    }
    for pair in KREW_PLATFORMS {
        let hits: Vec<usize> = (0..platforms.len())
            .filter(|&i| matches(&platforms[i], pair))
            .collect();
        if hits.len() > 1 {
            return Err(format!("platforms {hits:?} overlap on {pair:?}"));
        }
    }
    Ok(())
}

fn platform(p: &Value, sums: Sums) -> Result<(), String> {
    if s(p, &["uri"]).is_empty() {
        return Err("`uri` has to be set".into());
    }
    let sha = s(p, &["sha256"]);
    let sha_ok = match sums {
        Sums::Real => {
            sha.len() == 64 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }
        Sums::Placeholders => sha.starts_with("@SHA256:") && sha.ends_with('@'),
    };
    if !sha_ok {
        return Err(format!("`sha256` value {sha:?} is not valid"));
    }
    if s(p, &["bin"]).is_empty() {
        return Err("`bin` has to be set".into());
    }
    if let Some(files) = p.get("files") {
        let files = files.as_sequence().cloned().unwrap_or_default();
        if files.is_empty() {
            return Err("`files` has to be unspecified or non-empty".into());
        }
        if files
            .iter()
            .any(|f| s(f, &["from"]).is_empty() || s(f, &["to"]).is_empty())
        {
            return Err("`from` and `to` have to be set".into());
        }
        let license = files.iter().any(|f| {
            let base = s(f, &["from"]).rsplit('/').next().unwrap_or_default();
            let lower = base.to_ascii_lowercase();
            lower.starts_with("license") || lower.starts_with("copying")
        });
        if !license {
            return Err("no LICENSE among the installed files".into());
        }
    }
    let sel = &p["selector"];
    let labels = sel["matchLabels"].as_mapping();
    let exprs = sel["matchExpressions"].as_sequence();
    if labels.is_none() && exprs.is_none_or(|e| e.is_empty()) {
        return Err("empty selector is not supported".into());
    }
    if labels.is_some_and(|l| l.is_empty()) {
        return Err("`matchLabels` specified but empty".into());
    }
    let keys = labels
        .into_iter()
        .flat_map(|l| l.keys().map(|k| k.as_str().unwrap_or_default()))
        .chain(exprs.into_iter().flatten().map(|e| s(e, &["key"])));
    for key in keys {
        if key != "os" && key != "arch" {
            return Err(format!("key {key:?} not supported"));
        }
    }
    Ok(())
}

/// Whether a platform's selector selects `(os, arch)` (label-selector rules:
/// matchLabels, and matchExpressions with In / NotIn / Exists / DoesNotExist).
pub fn matches(p: &Value, (os, arch): (&str, &str)) -> bool {
    let value = |k: &str| match k {
        "os" => Some(os),
        "arch" => Some(arch),
        _ => None,
    };
    let sel = &p["selector"];
    let labels_ok = sel["matchLabels"].as_mapping().is_none_or(|l| {
        l.iter()
            .all(|(k, v)| value(k.as_str().unwrap_or_default()) == v.as_str())
    });
    let exprs_ok = sel["matchExpressions"].as_sequence().is_none_or(|es| {
        es.iter().all(|e| {
            let got = value(s(e, &["key"]));
            let values: Vec<&str> = e["values"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match s(e, &["operator"]) {
                "In" => got.is_some_and(|g| values.contains(&g)),
                "NotIn" => got.is_none_or(|g| !values.contains(&g)),
                "Exists" => got.is_some(),
                "DoesNotExist" => got.is_none(),
                _ => false,
            }
        })
    });
    labels_ok && exprs_ok
}

/// `vMAJOR.MINOR.PATCH`, optionally `-pre` and `+build` (k8s ParseSemantic).
pub fn is_semver_with_v(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let core = rest.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}
