//! One cluster session, opened the same way by every cluster command (the
//! scan, `which`, `top`, `prune`, `cleanup`, each context of a multi-context
//! run): kubeconfig and context as kubectl reads them, a client bounded by
//! `--connect-timeout` that counts its calls, the namespace for agent pods,
//! and the preflight checks against that client.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use imgdup::cluster::calls::{Calls, counting_client};
use imgdup::cluster::fanout_config::FanoutConfig;
use imgdup::cluster::pod::AgentMode;
use imgdup::cluster::preflight::{self, Need};
use imgdup::cluster::upload::AgentBinary;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::config::{Config, KubeConfigOptions};

use crate::cli::{AgentArgs, ConnectArgs};
use crate::connect::Loaded;
use crate::connect_error::chain_once;

pub struct Session {
    pub client: Client,
    /// Where agent pods go: `-n`, else the context's, else `default`.
    pub namespace: String,
    /// Every API call of the run, for `-v` and the report's `api_calls`.
    pub calls: Arc<Calls>,
}

impl Session {
    /// Connects as kubectl would (`KUBECONFIG` with several files included).
    /// A kubeconfig that cannot be used is named with the fix; a client
    /// that cannot be built (an exec credential plugin that fails) is named
    /// with its server and context. Nothing is sent to the server yet.
    pub async fn open(conn: &ConnectArgs) -> Result<Self> {
        let loaded = Loaded::read(conn.kubeconfig.as_deref(), conn.context.as_deref())?;
        let options = KubeConfigOptions {
            context: Some(loaded.context.clone()),
            ..Default::default()
        };
        let mut config = Config::from_custom_kubeconfig(loaded.kubeconfig.clone(), &options)
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot use context {:?} of the kubeconfig {}: {}; fix it there (kubectl config view)",
                    loaded.context,
                    loaded.source,
                    chain_once(&e)
                )
            })?;
        config.connect_timeout = Some(conn.connect_timeout);
        let namespace = conn
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        let server = loaded
            .server()
            .unwrap_or_else(|| config.cluster_url.to_string());
        let calls = Arc::new(Calls::default());
        let client =
            counting_client(config, calls.clone()).map_err(|e| loaded.client_error(&e, &server))?;
        Ok(Self {
            client,
            namespace,
            calls,
        })
    }

    /// Asks the server whether we may do all of `needs` (plus `pods/exec`
    /// when the agent binary is uploaded), before anything is created.
    pub async fn check_access(&self, needs: Vec<Need>, binary: Option<&AgentBinary>) -> Result<()> {
        let needs = crate::airgap::needs(needs, binary, &self.namespace);
        preflight::check_access(&self.client, needs, &self.calls).await?;
        Ok(())
    }

    /// A server-side dry run of one agent pod: admission refuses it now,
    /// not once per node.
    pub async fn check_admission(&self, pod: &Pod) -> Result<()> {
        preflight::check_admission(&self.client, &self.namespace, pod, &self.calls).await?;
        Ok(())
    }

    /// The fan-out settings of this session's agent pods.
    pub fn fanout_config(
        &self,
        agent: &AgentArgs,
        concurrency: usize,
        mode: AgentMode,
    ) -> FanoutConfig {
        crate::cluster::fanout_config(agent, self.namespace.clone(), concurrency, mode)
    }
}
