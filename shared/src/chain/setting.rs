//! A daemon setting and where its value came from: the flag on the running
//! process, else its config file, else the runtime's default. Shared by the
//! hop followers and the k3s view, which read the same kinds of settings.

use std::path::Path;

use crate::host::cmdline::Cmdline;
use crate::host::daemon_config::{self, ConfigError};
use crate::host::view::HostView;
use crate::model::causes;
use crate::model::evidence::{Source, Sourced};

/// A daemon's config file, parsed; `None` when it is absent. A file that
/// cannot be read or parsed is a warning, not a failure: the daemon's flags
/// and defaults still say where its store is.
pub(crate) fn read_config<T>(
    node: &HostView,
    path: &str,
    parse: fn(&[u8], &Path) -> Result<T, ConfigError>,
    warnings: &mut Vec<String>,
) -> Option<T> {
    read_config_or_why(node, path, parse, warnings).0
}

/// [`read_config`], with the warning handed back as well, for a caller
/// that also says why on the store the config describes.
pub(crate) fn read_config_or_why<T>(
    node: &HostView,
    path: &str,
    parse: fn(&[u8], &Path) -> Result<T, ConfigError>,
    warnings: &mut Vec<String>,
) -> (Option<T>, Option<String>) {
    match daemon_config::read(&node.host, Path::new(path), parse) {
        Ok(value) => (value, None),
        Err(e) => {
            // Several chains read the same file: it is one warning.
            let msg = causes::joined(&e);
            if !warnings.contains(&msg) {
                warnings.push(msg.clone());
            }
            (None, Some(msg))
        }
    }
}

/// A flag's value with the process as proof, else a default.
pub(crate) fn flag_or(cmd: Option<&Cmdline>, names: &[&str], default: &str) -> Sourced<String> {
    match cmd.and_then(|c| c.value(names)) {
        Some(v) => Sourced::new(
            v.clone(),
            Source::ProcessCmdline,
            format!("{} {v}", names.last().unwrap_or(&"")),
        ),
        None => Sourced::new(
            default.to_string(),
            Source::Default,
            format!("default {default}"),
        ),
    }
}

/// flag > config file key > default.
pub(crate) fn pick(
    cmd: Option<&Cmdline>,
    names: &[&str],
    from_file: Option<&str>,
    file: &str,
    key: &str,
    default: &str,
) -> Sourced<String> {
    if let Some(v) = cmd.and_then(|c| c.value(names)) {
        return Sourced::new(
            v.clone(),
            Source::ProcessCmdline,
            format!("flag {} {v}", names[0]),
        );
    }
    if let Some(v) = from_file {
        return Sourced::new(
            v.to_string(),
            Source::ConfigFile,
            format!("{key} = {v} in {file}"),
        );
    }
    Sourced::new(
        default.to_string(),
        Source::Default,
        format!("default {key} {default}"),
    )
}
