//! RuntimeService: only what a tool needs to identify the runtime behind a
//! socket (`Version`, `Status`). Everything about pods and containers answers
//! Unimplemented, because the lab never starts pods through CRI.

use k8s_cri::v1::runtime_service_server::RuntimeService;
use k8s_cri::v1::*;
use tonic::{Request, Response, Status};

use super::docker::Dockerd;
use super::logged;

/// What real cri-dockerd reports as `version` (its `kubeAPIVersion`).
pub const CRI_DOCKERD_VERSION: &str = "0.1.0";
/// What real cri-dockerd reports as `runtime_name` (core/docker_service.go).
pub const RUNTIME_NAME: &str = "docker";

/// The runtime half of the stand-in.
pub struct Runtime {
    dockerd: Dockerd,
}

impl Runtime {
    pub fn new(dockerd: Dockerd) -> Self {
        Runtime { dockerd }
    }

    async fn get_version(&self) -> Result<VersionResponse, Status> {
        // Asked live, like cri-dockerd: the version names the dockerd that
        // answers now, and a dead dockerd shows up as an error here.
        let v = self
            .dockerd
            .call("version", self.dockerd.client().version())
            .await?;
        Ok(VersionResponse {
            version: CRI_DOCKERD_VERSION.to_string(),
            runtime_name: RUNTIME_NAME.to_string(),
            runtime_version: v.version.unwrap_or_default(),
            runtime_api_version: "v1".to_string(),
        })
    }

    async fn get_status(&self) -> StatusResponse {
        let mut runtime_ready = RuntimeCondition {
            r#type: "RuntimeReady".to_string(),
            status: true,
            ..Default::default()
        };
        // Like cri-dockerd: a dockerd that does not answer makes the runtime
        // not ready rather than failing the call.
        if let Err(e) = self.get_version().await {
            runtime_ready.status = false;
            runtime_ready.reason = "DockerDaemonNotReady".to_string();
            runtime_ready.message = e.message().to_string();
        }
        let network_ready = RuntimeCondition {
            r#type: "NetworkReady".to_string(),
            status: true,
            ..Default::default()
        };
        StatusResponse {
            status: Some(RuntimeStatus {
                conditions: vec![runtime_ready, network_ready],
            }),
            ..Default::default()
        }
    }
}

fn unimplemented(method: &str) -> Status {
    Status::unimplemented(format!("cri-dockerd stand-in: {method} is not implemented"))
}

/// Writes the trait impl: the two real methods plus one Unimplemented body
/// per listed method. tonic generates no default bodies, and listing them in
/// a table keeps the ~30 stubs readable. The whole impl comes out of the
/// macro so that `async_trait` sees the expanded methods.
macro_rules! runtime_service {
    ($($method:ident, $grpc:literal: $req:ident -> $resp:ident;)*) => {
        #[tonic::async_trait]
        impl RuntimeService for Runtime {
            type GetContainerEventsStream =
                futures::stream::Empty<Result<ContainerEventResponse, Status>>;

            async fn version(
                &self,
                _request: Request<VersionRequest>,
            ) -> Result<Response<VersionResponse>, Status> {
                logged("Version", "", self.get_version().await)
            }

            async fn status(
                &self,
                _request: Request<StatusRequest>,
            ) -> Result<Response<StatusResponse>, Status> {
                logged("Status", "", Ok(self.get_status().await))
            }

            async fn get_container_events(
                &self,
                _request: Request<GetEventsRequest>,
            ) -> Result<Response<Self::GetContainerEventsStream>, Status> {
                logged("GetContainerEvents", "", Err(unimplemented("GetContainerEvents")))
            }

            $(
                async fn $method(
                    &self,
                    _request: Request<$req>,
                ) -> Result<Response<$resp>, Status> {
                    logged($grpc, "", Err(unimplemented($grpc)))
                }
            )*
        }
    };
}

runtime_service! {
    run_pod_sandbox, "RunPodSandbox": RunPodSandboxRequest -> RunPodSandboxResponse;
    stop_pod_sandbox, "StopPodSandbox": StopPodSandboxRequest -> StopPodSandboxResponse;
    remove_pod_sandbox, "RemovePodSandbox": RemovePodSandboxRequest -> RemovePodSandboxResponse;
    pod_sandbox_status, "PodSandboxStatus": PodSandboxStatusRequest -> PodSandboxStatusResponse;
    list_pod_sandbox, "ListPodSandbox": ListPodSandboxRequest -> ListPodSandboxResponse;
    create_container, "CreateContainer": CreateContainerRequest -> CreateContainerResponse;
    start_container, "StartContainer": StartContainerRequest -> StartContainerResponse;
    stop_container, "StopContainer": StopContainerRequest -> StopContainerResponse;
    remove_container, "RemoveContainer": RemoveContainerRequest -> RemoveContainerResponse;
    list_containers, "ListContainers": ListContainersRequest -> ListContainersResponse;
    container_status, "ContainerStatus": ContainerStatusRequest -> ContainerStatusResponse;
    update_container_resources, "UpdateContainerResources":
        UpdateContainerResourcesRequest -> UpdateContainerResourcesResponse;
    reopen_container_log, "ReopenContainerLog":
        ReopenContainerLogRequest -> ReopenContainerLogResponse;
    exec_sync, "ExecSync": ExecSyncRequest -> ExecSyncResponse;
    exec, "Exec": ExecRequest -> ExecResponse;
    attach, "Attach": AttachRequest -> AttachResponse;
    port_forward, "PortForward": PortForwardRequest -> PortForwardResponse;
    container_stats, "ContainerStats": ContainerStatsRequest -> ContainerStatsResponse;
    list_container_stats, "ListContainerStats":
        ListContainerStatsRequest -> ListContainerStatsResponse;
    pod_sandbox_stats, "PodSandboxStats": PodSandboxStatsRequest -> PodSandboxStatsResponse;
    list_pod_sandbox_stats, "ListPodSandboxStats":
        ListPodSandboxStatsRequest -> ListPodSandboxStatsResponse;
    update_runtime_config, "UpdateRuntimeConfig":
        UpdateRuntimeConfigRequest -> UpdateRuntimeConfigResponse;
    checkpoint_container, "CheckpointContainer":
        CheckpointContainerRequest -> CheckpointContainerResponse;
    list_metric_descriptors, "ListMetricDescriptors":
        ListMetricDescriptorsRequest -> ListMetricDescriptorsResponse;
    list_pod_sandbox_metrics, "ListPodSandboxMetrics":
        ListPodSandboxMetricsRequest -> ListPodSandboxMetricsResponse;
    runtime_config, "RuntimeConfig": RuntimeConfigRequest -> RuntimeConfigResponse;
}
