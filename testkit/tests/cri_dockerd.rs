//! The cri-dockerd stand-in against a real dockerd: what a CRI client (crictl,
//! imgdup) sees must match what docker itself says about the same store.

mod support;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::*;
use support::Lab;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

const CALL_TIMEOUT: Duration = Duration::from_secs(15);
const BIN: &str = env!("CARGO_BIN_EXE_cri-dockerd");

/// Every CRI call is bounded: a hung stand-in must fail the test, not stall it.
async fn timed<T>(
    fut: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, tonic::Status> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(r) => r.map(tonic::Response::into_inner),
        Err(_) => panic!("CRI call timed out after {CALL_TIMEOUT:?}"),
    }
}

async fn connect(socket: &Path) -> Channel {
    let socket = socket.to_path_buf();
    let endpoint = Endpoint::try_from("http://[::]:50051").expect("static URI");
    let connect = endpoint.connect_with_connector(tower::service_fn(move |_| {
        let socket = socket.clone();
        async move {
            tokio::net::UnixStream::connect(socket)
                .await
                .map(hyper_util::rt::TokioIo::new)
        }
    }));
    tokio::time::timeout(CALL_TIMEOUT, connect)
        .await
        .expect("connect timed out")
        .expect("connect to stand-in")
}

fn spec(image: &str) -> Option<ImageSpec> {
    Some(ImageSpec {
        image: image.to_string(),
        ..Default::default()
    })
}

/// Builds a FROM-scratch busybox image with a unique nonce layer, so its ID
/// is new even on a shared dockerd and removing it touches nothing else.
fn build_image(lab: &Lab) -> (String, String) {
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.is_file(),
        "/bin/busybox missing: apt-get install -y busybox-static"
    );
    let ctx = lab.dir.path().join("ctx");
    std::fs::create_dir_all(&ctx).expect("mkdir ctx");
    std::fs::copy(busybox, ctx.join("busybox")).expect("copy busybox");
    let nonce = format!("{}-{:?}", std::process::id(), SystemTime::now());
    std::fs::write(ctx.join("nonce"), nonce).expect("write nonce");
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY nonce /nonce\n",
    )
    .expect("write Dockerfile");
    let tag = format!("imgdup-testkit/busybox:t{}", std::process::id());
    let iid = ctx.join("iid");
    lab.docker(&[
        "build",
        "-q",
        "-t",
        &tag,
        "--iidfile",
        &iid.display().to_string(),
        &ctx.display().to_string(),
    ]);
    let id = std::fs::read_to_string(&iid)
        .expect("read iidfile")
        .trim()
        .to_string();
    assert!(id.starts_with("sha256:"), "unexpected image id {id:?}");
    (tag, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_docker_images_over_cri() {
    let mut lab = Lab::start();
    let (tag, id) = build_image(&lab);
    let docker_version = lab.docker(&["version", "--format", "{{.Server.Version}}"]);
    let root_dir = lab.docker(&["info", "--format", "{{.DockerRootDir}}"]);
    let docker_size: u64 = lab
        .docker(&["image", "inspect", "--format", "{{.Size}}", &id])
        .parse()
        .expect("size");

    // A stale file at the socket path (a killed earlier run) must be replaced.
    let socket: PathBuf = lab.dir.path().join("run/cri-dockerd.sock");
    std::fs::create_dir_all(socket.parent().expect("parent")).expect("mkdir run");
    std::fs::write(&socket, "stale").expect("write stale socket");
    let state = lab.dir.path().join("state/cri-dockerd");
    let mut cmd = Command::new(BIN);
    cmd.arg("--container-runtime-endpoint")
        .arg(format!("unix://{}", socket.display()))
        .arg("--docker-endpoint")
        .arg(format!("unix://{}", lab.docker_sock.display()))
        .arg("--cri-dockerd-root-directory")
        .arg(&state)
        .args(["--log-level", "info"]);
    let cri = lab.spawn("cri-dockerd", &mut cmd);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::metadata(&socket).is_ok_and(|m| m.file_type().is_socket()) {
        let exited = lab.daemon(cri).child.try_wait().ok().flatten();
        assert!(
            exited.is_none() && Instant::now() < deadline,
            "stand-in did not serve: {}",
            lab.log_of(cri)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mode = std::fs::metadata(&socket)
        .expect("stat socket")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o660, "socket mode");
    assert!(state.is_dir(), "root directory created");

    let channel = connect(&socket).await;
    let mut runtime = RuntimeServiceClient::new(channel.clone());
    let mut images = ImageServiceClient::new(channel);

    let v = timed(runtime.version(VersionRequest::default()))
        .await
        .expect("Version");
    assert_eq!(
        (
            v.version.as_str(),
            v.runtime_name.as_str(),
            v.runtime_api_version.as_str()
        ),
        ("0.1.0", "docker", "v1")
    );
    assert_eq!(v.runtime_version, docker_version);

    let status = timed(runtime.status(StatusRequest::default()))
        .await
        .expect("Status");
    let conditions = status.status.expect("status").conditions;
    for kind in ["RuntimeReady", "NetworkReady"] {
        assert!(
            conditions.iter().any(|c| c.r#type == kind && c.status),
            "{kind} in {conditions:?}"
        );
    }
    let err = timed(runtime.list_containers(ListContainersRequest::default()))
        .await
        .expect_err("unimplemented");
    assert_eq!(err.code(), Code::Unimplemented);
    assert!(
        err.message().contains("ListContainers"),
        "{}",
        err.message()
    );

    let all = timed(images.list_images(ListImagesRequest::default()))
        .await
        .expect("ListImages")
        .images;
    let ours = all
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("{id} not in {all:?}"));
    assert_eq!(ours.repo_tags, vec![tag.clone()]);
    assert_eq!(ours.size, docker_size);
    assert!(ours.size > 1_000_000, "busybox is ~2 MB, got {}", ours.size);

    let filter = |image: &str| ListImagesRequest {
        filter: Some(ImageFilter { image: spec(image) }),
    };
    let filtered = timed(images.list_images(filter(&tag)))
        .await
        .expect("ListImages filter")
        .images;
    assert_eq!(
        filtered.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        vec![id.as_str()]
    );
    let none = timed(images.list_images(filter("imgdup-testkit/absent:1")))
        .await
        .expect("ListImages filter");
    assert!(none.images.is_empty(), "{none:?}");

    let st = timed(images.image_status(ImageStatusRequest {
        image: spec(&tag),
        verbose: true,
    }))
    .await
    .expect("ImageStatus");
    assert_eq!(st.image.as_ref().map(|i| i.id.as_str()), Some(id.as_str()));
    let info: serde_json::Value =
        serde_json::from_str(&st.info["info"]).expect("verbose info is JSON");
    assert_eq!(info["Id"], serde_json::Value::String(id.clone()));
    let missing = ImageStatusRequest {
        image: spec("imgdup-testkit/absent:1"),
        verbose: false,
    };
    let missing = timed(images.image_status(missing))
        .await
        .expect("ImageStatus of a missing image is no error");
    assert!(missing.image.is_none(), "{missing:?}");

    let fs = timed(images.image_fs_info(ImageFsInfoRequest::default()))
        .await
        .expect("ImageFsInfo");
    let usage = &fs.image_filesystems[0];
    // Real cri-dockerd (core/imagefs_linux.go) reports DockerRootDir itself.
    assert_eq!(
        usage.fs_id.as_ref().map(|f| f.mountpoint.as_str()),
        Some(root_dir.as_str())
    );
    assert!(
        usage
            .used_bytes
            .as_ref()
            .is_some_and(|u| u.value >= docker_size),
        "{usage:?}"
    );
    let now_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as i64;
    assert!(
        (now_ns - usage.timestamp).abs() < 60_000_000_000,
        "timestamp in ns: {}",
        usage.timestamp
    );

    let err = timed(images.pull_image(PullImageRequest {
        image: spec("busybox:latest"),
        ..Default::default()
    }))
    .await
    .expect_err("no registry");
    assert_eq!(err.code(), Code::Unimplemented);

    timed(images.remove_image(RemoveImageRequest { image: spec(&tag) }))
        .await
        .expect("RemoveImage");
    let gone = timed(images.image_status(ImageStatusRequest {
        image: spec(&id),
        verbose: false,
    }))
    .await
    .expect("ImageStatus");
    assert!(
        gone.image.is_none(),
        "image still there after RemoveImage: {gone:?}"
    );
    timed(images.remove_image(RemoveImageRequest { image: spec(&tag) }))
        .await
        .expect("RemoveImage of a missing image is success");

    // SIGTERM: clean exit and no socket left behind.
    let exit = support::stop(lab.daemon(cri)).expect("exit status");
    assert!(exit.success(), "exit {exit:?}; log:\n{}", lab.log_of(cri));
    assert!(!socket.exists(), "socket left behind");
    let log = lab.log_of(cri);
    assert!(
        log.contains("cri-dockerd: ListImages") && log.contains("cri-dockerd: ImageFsInfo: ok"),
        "{log}"
    );
}

/// A dockerd that is not there fails at startup, naming the endpoint.
#[test]
fn fails_fast_without_dockerd() {
    let dir = tempfile::Builder::new()
        .prefix("cdt")
        .tempdir_in("/tmp")
        .expect("temp dir");
    let docker = format!("unix://{}/docker.sock", dir.path().display());
    let out = Command::new(BIN)
        .arg("--container-runtime-endpoint")
        .arg(format!("unix://{}/cri.sock", dir.path().display()))
        .args(["--docker-endpoint", &docker])
        .arg("--cri-dockerd-root-directory")
        .arg(dir.path().join("root"))
        .output()
        .expect("run stand-in");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&docker), "{stderr}");
    assert!(
        !dir.path().join("cri.sock").exists(),
        "no socket without dockerd"
    );
}

#[test]
fn rejects_unknown_flags() {
    let out = Command::new(BIN)
        .arg("--no-such-flag")
        .output()
        .expect("run stand-in");
    assert_eq!(out.status.code(), Some(2));
}
