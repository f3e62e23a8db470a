//! Which crictl config file is read, and what came of it: the requested
//! path, else crictl's `<exe dir>/crictl.yaml` fallback; a broken file is
//! fatal only when the path was set explicitly.

use std::path::{Path, PathBuf};

use super::{CrictlInputs, DEFAULT_CONFIG_PATH, ENV_CONFIG, EndpointError};
use crate::host::capped_read::{MAX_CONFIG, read_capped};
use crate::host::crictl_yaml::{self, CrictlYaml};
use crate::host::root::{HostRoot, is_loop};
use crate::model::evidence::Source;

/// Where `crictl` may live on a node; crictl falls back to `<its dir>/crictl.yaml`.
const CRICTL_DIRS: [&str; 6] = [
    "/usr/local/bin",
    "/usr/bin",
    "/bin",
    "/usr/local/sbin",
    "/opt/bin",
    "/var/lib/rancher/k3s/data/current/bin",
];

/// The host directory crictl falls back to: its binary's, symlinks resolved,
/// because crictl takes it from `os.Executable()` (`/proc/self/exe`), so a
/// `/usr/local/bin/crictl -> /opt/cri/bin/crictl` reads `/opt/cri/bin/crictl.yaml`.
pub fn find_crictl_dir(host: &HostRoot) -> Option<PathBuf> {
    CRICTL_DIRS
        .iter()
        .map(|d| Path::new(d).join("crictl"))
        .find(|bin| host.local(bin).is_file())
        .and_then(|bin| host.canonical(bin).parent().map(Path::to_path_buf))
}

/// Which config file crictl reads, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFileUse {
    /// The host path crictl asked for.
    pub requested: PathBuf,
    pub requested_source: Source,
    /// The file actually read (may be the exe-dir fallback), if any.
    pub loaded: Option<PathBuf>,
    /// Why no file was used, when none was.
    pub note: Option<String>,
}

pub(super) fn load_config(
    inputs: &CrictlInputs,
    host: &HostRoot,
    warnings: &mut Vec<String>,
) -> Result<(ConfigFileUse, Option<CrictlYaml>), EndpointError> {
    let (requested, requested_source) = if let Some(p) = &inputs.config_flag {
        (p.clone(), Source::Flag)
    } else if let Some(p) = inputs.env.get(ENV_CONFIG) {
        (PathBuf::from(p), Source::Env)
    } else {
        (PathBuf::from(DEFAULT_CONFIG_PATH), Source::Default)
    };
    let explicit = requested_source != Source::Default;
    let mut usage = ConfigFileUse {
        requested: requested.clone(),
        requested_source,
        loaded: None,
        note: None,
    };

    let fail = |path: &Path,
                reason: String,
                usage: &mut ConfigFileUse,
                warnings: &mut Vec<String>| {
        if explicit {
            Err(EndpointError::ConfigFile {
                path: path.to_path_buf(),
                reason,
            })
        } else {
            let note = format!("crictl ignores {}: {reason}", path.display());
            warnings.push(format!("{note}; every crictl call then falls back to flags, env and defaults. Fix or remove the file"));
            usage.note = Some(note);
            Ok(None)
        }
    };

    let path = match locate(
        &absolute(&requested, host),
        inputs.crictl_dir.as_deref(),
        host,
    ) {
        Ok(p) => p,
        Err(None) if !explicit => {
            usage.note = Some(format!("{} does not exist", requested.display()));
            return Ok((usage, None));
        }
        Err(reason) => {
            // crictl's own error names the fallback it tried last.
            let reason = reason.unwrap_or_else(|| match &inputs.crictl_dir {
                Some(dir) => format!(
                    "it does not exist, nor does crictl's fallback {}",
                    dir.join("crictl.yaml").display()
                ),
                None => "it does not exist".to_string(),
            });
            let none = fail(&requested, reason, &mut usage, warnings)?;
            return Ok((usage, none));
        }
    };
    let yaml = match read_capped(&host.local(&path), MAX_CONFIG) {
        Ok(bytes) => match crictl_yaml::parse(&bytes) {
            Ok(y) => Some(y),
            Err(e) => fail(&path, e.to_string(), &mut usage, warnings)?,
        },
        Err(e) => fail(&path, format!("cannot read it: {e}"), &mut usage, warnings)?,
    };
    if yaml.is_some() {
        usage.loaded = Some(path);
    }
    Ok((usage, yaml))
}

/// A relative config path is opened from the working directory, as Go's
/// `os.Stat` does; under another `--host-root` there is none, so from `/`.
/// An empty one (`CRI_CONFIG_FILE=`) stays empty: it names no file.
fn absolute(requested: &Path, host: &HostRoot) -> PathBuf {
    if requested.as_os_str().is_empty() || requested.is_absolute() {
        return requested.to_path_buf();
    }
    let cwd = host
        .is_slash()
        .then(|| std::env::current_dir().ok())
        .flatten();
    cwd.unwrap_or_else(|| PathBuf::from("/")).join(requested)
}

/// The file crictl opens: the requested one, or `<crictl dir>/crictl.yaml` when
/// the requested one does not exist (an empty path never does: `stat("")` is
/// ENOENT). `Err(None)` means neither exists.
fn locate(
    requested: &Path,
    crictl_dir: Option<&Path>,
    host: &HostRoot,
) -> Result<PathBuf, Option<String>> {
    if requested.as_os_str().is_empty() {
        return fallback(crictl_dir, host).ok_or(None);
    }
    if is_loop(&host.canonical(requested)) {
        return Err(Some(
            "it is a symlink loop (too many levels of symbolic links); fix or remove the link"
                .into(),
        ));
    }
    match std::fs::metadata(host.local(requested)) {
        Ok(_) => return Ok(requested.to_path_buf()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Some(format!("cannot stat it: {e}")));
        }
        Err(_) => {}
    }
    fallback(crictl_dir, host).ok_or(None)
}

/// `<crictl dir>/crictl.yaml`, if it exists.
fn fallback(crictl_dir: Option<&Path>, host: &HostRoot) -> Option<PathBuf> {
    let next = crictl_dir?.join("crictl.yaml");
    host.local(&next).exists().then_some(next)
}
