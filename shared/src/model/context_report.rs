//! The `MultiContextReport` document: one run over several kubeconfig
//! contexts (`--context a,b`, `--all-contexts`), each context's report or
//! the reason it has none, so one unreachable cluster does not hide the rest.

use serde::Serialize;

use crate::model::chain::API_VERSION;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MultiContextReport<T> {
    pub api_version: String,
    pub kind: String,
    /// The worst of the contexts' exit codes: the process's own.
    pub exit_code: u8,
    pub contexts: Vec<ContextEntry<T>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextEntry<T> {
    pub context: String,
    pub exit_code: u8,
    /// Why this context has no report (it could not be reached, refused
    /// the run, or was stopped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A `ClusterReport` (the scan) or a `TopReport` (`top`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<T>,
}

impl<T> MultiContextReport<T> {
    pub fn new(exit_code: u8, contexts: Vec<ContextEntry<T>>) -> Self {
        Self {
            api_version: API_VERSION.into(),
            kind: "MultiContextReport".into(),
            exit_code,
            contexts,
        }
    }
}
