//! How a fact was learned (docs/contract.md §1): every hop and store carries its proof.

use serde::{Deserialize, Serialize};

/// Where a fact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Flag,
    Env,
    ConfigFile,
    Default,
    ProcessCmdline,
    Api,
    Filesystem,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Env => "env",
            Source::ConfigFile => "config-file",
            Source::Default => "default",
            Source::ProcessCmdline => "process-cmdline",
            Source::Api => "api",
            Source::Filesystem => "filesystem",
        }
    }

    /// An API answer or a process we saw proves a fact; a config file or a
    /// default only suggests it.
    pub fn confidence(self) -> Confidence {
        match self {
            Source::Api | Source::ProcessCmdline => Confidence::Confirmed,
            _ => Confidence::Inferred,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Inferred,
    Confirmed,
}

/// One piece of proof: its source and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub source: Source,
    pub detail: String,
}

impl Evidence {
    pub fn new(source: Source, detail: impl Into<String>) -> Self {
        Self {
            source,
            detail: detail.into(),
        }
    }
}

/// A value together with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
    pub detail: String,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: Source, detail: impl Into<String>) -> Self {
        Self {
            value,
            source,
            detail: detail.into(),
        }
    }

    pub fn evidence(&self) -> Evidence {
        Evidence::new(self.source, self.detail.clone())
    }
}

/// The best confidence a list of evidence supports.
pub fn confidence_of(evidence: &[Evidence]) -> Confidence {
    evidence
        .iter()
        .map(|e| e.source.confidence())
        .max()
        .unwrap_or(Confidence::Inferred)
}
