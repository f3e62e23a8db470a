# shellcheck shell=bash
# Sourced by testkit/lab/cluster (not run): a kubelet per lab node. Which CRI
# runtime the node's k3s would use (probe_runtime), the kubelet's files under
# the node's /var/lib/kubelet, starting it with nsenter in the node's
# namespaces and finding its pid, the runc wrapper bind mount, and
# setup_node / teardown_node, which bring one node into the cluster (network,
# CNI, images, certificates, kubelet) and restore it at `down`. Apart because
# it is everything done per node.

# probe_runtime NODE: which CRI the node's kubelet uses (as its k3s would:
# cri-dockerd with --docker, else k3s's containerd, else a system containerd
# with CRI), where its CNI config and plugins go, and its sandbox image.
probe_runtime() {
  local n=$1 env=$LAB/$1/state.env info pid cmd ep
  if grep -q '^SOCK_CRI_DOCKERD=' "$env"; then
    ep=unix://$CRID_SOCK
    info=$(in_node "$n" timeout 20 "$GO_BIN/crictl" -r "$ep" -i "$ep" --timeout 10s info 2>/dev/null) ||
      die "$n: cri-dockerd does not answer on $CRID_SOCK"
    pid=$(state_of "$n" PID_CRI_DOCKERD)
    cmd=$(in_node "$n" cat "/proc/$pid/cmdline" | tr '\0' '\n')
    node_set "$n" RUNTIME cri-dockerd
    node_set "$n" ENDPOINT "$ep"
    node_set "$n" CNI_CONF_DIR "$(sed -n 's/^--cni-conf-dir=//p' <<<"$cmd" | tail -n1 | grep . || echo /etc/cni/net.d)"
    node_set "$n" CNI_BIN_DIRS "$(sed -n 's/^--cni-bin-dir=//p' <<<"$cmd" | tail -n1 | tr , ' ' | grep . || echo /opt/cni/bin)"
    node_set "$n" SANDBOX_IMAGE "$(jq -r '.config.sandboxImage // empty' <<<"$info")"
  else
    local sock
    if grep -q '^SOCK_K3S_CONTAINERD=' "$env"; then
      sock=$K3S_SOCK
      node_set "$n" CTR "$(state_of "$n" CTR_K3S_CONTAINERD)"
      pid=$(state_of "$n" PID_K3S_CONTAINERD)
    elif grep -q '^SOCK_CONTAINERD=' "$env"; then
      sock=$SYS_SOCK
      node_set "$n" CTR "$(state_of "$n" CTR_CONTAINERD)"
      pid=$(state_of "$n" PID_CONTAINERD)
    else
      die "$n: the node runs no CRI runtime (no cri-dockerd, no containerd)"
    fi
    ep=unix://$sock
    info=$(in_node "$n" timeout 20 "$GO_BIN/crictl" -r "$ep" -i "$ep" --timeout 10s info 2>/dev/null) ||
      die "$n: containerd's CRI does not answer on $sock (is its CRI plugin disabled?)"
    node_set "$n" RUNTIME containerd
    node_set "$n" CTRD_SOCK "$sock"
    node_set "$n" ENDPOINT "$ep"
    node_set "$n" CNI_CONF_DIR "$(jq -r '.config.cni.confDir' <<<"$info")"
    # containerd 1.x: binDir; 2.x: binDirs (2.x ignores a config's bin_dir).
    node_set "$n" CNI_BIN_DIRS "$(jq -r '[.config.cni.binDirs[]?, .config.cni.binDir // empty] | unique | join(" ")' <<<"$info")"
    local img
    img=$(jq -r '.config.sandboxImage // empty' <<<"$info")
    if [[ -z $img ]]; then
      # containerd 2.x keeps it in the images plugin: read the merged config.
      local exe cfg
      exe=$(in_node "$n" readlink "/proc/$pid/exe")
      cfg=$(in_node "$n" cat "/proc/$pid/cmdline" | tr '\0' '\n' | sed -n '/^-c$\|^--config$/{n;p}' | head -n1)
      img=$(in_node "$n" "$exe" ${cfg:+-c "$cfg"} config dump 2>/dev/null |
        awk '/pinned_images\]/{p=1; next} /^\[/{p=0} p && $1 == "sandbox" {gsub(/["'"'"']/, "", $3); print $3}' | head -n1)
    fi
    node_set "$n" SANDBOX_IMAGE "$img"
  fi
  [[ -n $(node_get "$n" SANDBOX_IMAGE) ]] || die "$n: could not tell the runtime's sandbox image"
}

# write_kubelet_files NODE INDEX: config, kubeconfig and certificates under the
# node's $KUBELET_DIR (written through the node's root dir on the host).
write_kubelet_files() {
  local n=$1 i=$2 root=$LAB/$1/root d
  d=$root$KUBELET_DIR
  mkdir -p "$d/pki"
  cp "$PKI/ca.crt" "$d/pki/ca.crt"
  cp "$PKI/kubelet-$n.crt" "$d/pki/kubelet.crt"
  cp "$PKI/kubelet-$n.key" "$d/pki/kubelet.key"
  chmod 0600 "$d"/pki/*.key
  write_kubeconfig "$d/kubeconfig" "system:node:$n" "$PKI/node-$n.crt" "$PKI/node-$n.key"
  # cgroupfs like the runtimes (SystemdCgroup = false, no systemd here);
  # cgroup v1 on this host, hence failCgroupV1: false; no QoS cgroups or
  # allocatable enforcement outside a full OS; no image GC and near-zero
  # eviction thresholds, so the kubelet never deletes the lab's test images or
  # evicts a pod because the shared disk is full.
  cat >"$d/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $(node_ip "$i")
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $KUBELET_DIR/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $KUBELET_DIR/pki/kubelet.crt
tlsPrivateKeyFile: $KUBELET_DIR/pki/kubelet.key
containerRuntimeEndpoint: $(node_get "$n" ENDPOINT)
imageServiceEndpoint: $(node_get "$n" ENDPOINT)
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
podCIDR: $(pod_cidr "$i")
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 1Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
EOF
  if [[ $(node_get "$n" RUNTIME) == cri-dockerd ]]; then
    # cri-dockerd v0.4.3 answers Exec/Attach/PortForward with a URL without a
    # scheme ("//[::]:46699/cri/exec/TOKEN"). With ExtendWebSocketsToKubelet
    # (beta, on by default in 1.36) the kubelet itself translates websocket
    # streams to SPDY, and its SPDY client takes such a URL for https: exec
    # fails with 'error sending request: Post "//[::]:46699/cri/exec/...":
    # http: server gave HTTP response to HTTPS client'. Without the gate the
    # node does not declare the feature, so the apiserver translates, and the
    # kubelet proxies to the runtime as before 1.36 (scheme defaults to http).
    printf 'featureGates:\n  ExtendWebSocketsToKubelet: false\n' >>"$d/config.yaml"
  fi
}

kubelet_pid() { # NODE: the host pid of its live kubelet
  local n=$1 p hp
  p=$(node_get "$n" KUBELET_PID) || return 1
  hp=$(node_get "$n" HOLDER_PID) || return 1
  ours "$p" "--hostname-override=$n" || return 1
  [[ $(readlink "/proc/$p/ns/pid") == "$(readlink "/proc/$hp/ns/pid" 2>/dev/null)" ]] || return 1
  echo "$p"
}

start_kubelet() { # NODE INDEX
  local n=$1 i=$2 hp nsp kp c deadline lf=$LOGS/kubelet-$1.log
  hp=$(holder_of "$n") || die "$n: the lab node is not up"
  [[ -x $KUBELET ]] || die "kubelet: $KUBELET is missing (run: bash scripts/install-go control-plane)"
  log "$n: starting the kubelet (runtime $(node_get "$n" RUNTIME) at $(node_get "$n" ENDPOINT), node IP $(node_ip "$i"); log: $lf)"
  setsid nsenter -t "$hp" -m -n -p -- "$KUBELET" \
    --config="$KUBELET_DIR/config.yaml" --kubeconfig="$KUBELET_DIR/kubeconfig" \
    --root-dir="$KUBELET_DIR" --hostname-override="$n" --node-ip="$(node_ip "$i")" \
    --node-labels="imgdup.test/scenario=${n%%.*}" --v=2 \
    7>&- </dev/null >>"$lf" 2>&1 &
  nsp=$!
  deadline=$((SECONDS + 10))
  kp=""
  while [[ -z $kp ]]; do
    # nsenter's child once it has exec'd the kubelet (not nsenter's fork).
    for c in $(cat "/proc/$nsp/task/$nsp/children" 2>/dev/null); do
      [[ $(readlink "/proc/$c/exe" 2>/dev/null) == "$(readlink -f "$KUBELET")" ]] && kp=$c
    done
    [[ -n $kp ]] && break
    alive "$nsp" || fail_component "kubelet on $n" "$lf" "exited at once"
    ((SECONDS < deadline)) || fail_component "kubelet on $n" "$lf" "nsenter did not start it within 10s"
    sleep 0.1
  done
  node_set "$n" HOLDER_PID "$hp"
  node_set "$n" NSENTER_PID "$nsp"
  node_set "$n" KUBELET_PID "$kp"
  deadline=$((SECONDS + START_TIMEOUT))
  until in_node "$n" curl -sf --max-time 2 http://127.0.0.1:10248/healthz >/dev/null 2>&1; do
    alive "$kp" || fail_component "kubelet on $n" "$lf" "exited while starting"
    ((SECONDS < deadline)) || fail_component "kubelet on $n" "$lf" "no healthz after ${START_TIMEOUT}s"
    sleep 0.5
  done
}

# runc_shim_up NODE: this machine withholds CAP_SYS_RESOURCE from every
# process, so no oom_score_adj below 0 can be set, and runc fails on the
# kubelet's pod sandboxes (-998). In the node's mount namespace only, the runc
# its shims run (/usr/sbin/runc, first on their PATH) is bind-mounted over by
# testkit/lab/runc-oom-wrapper, which raises a negative oomScoreAdj to 0 and
# runs a copy of the real runc (see that file).
runc_shim_up() {
  local n=$1 real
  real=$(readlink -f "$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v runc)") || die "runc is not installed"
  mkdir -p "$CL/bin"
  if [[ ! -x $CL/bin/runc.real ]]; then
    cp "$real" "$CL/bin/runc.real.tmp"
    mv "$CL/bin/runc.real.tmp" "$CL/bin/runc.real"
  fi
  sed "s|@REAL_RUNC@|$CL/bin/runc.real|" "$REPO_ROOT/testkit/lab/runc-oom-wrapper" >"$CL/bin/runc.tmp"
  chmod 0755 "$CL/bin/runc.tmp"
  mv "$CL/bin/runc.tmp" "$CL/bin/runc"
  in_node "$n" sh -c "grep -q ' $real ' /proc/self/mountinfo || mount --bind '$CL/bin/runc' '$real'" ||
    die "$n: could not bind-mount the runc wrapper over $real"
  node_set "$n" RUNC_SHIM "$real"
}

# setup_node NODE: everything up to a running kubelet. Idempotent.
setup_node() {
  local n=$1 hp i
  hp=$(holder_of "$n") || die "$n: the lab node is not up"
  if kubelet_pid "$n" >/dev/null; then
    runc_shim_up "$n"
    log "$n: kubelet already running (pid $(kubelet_pid "$n"))"
    return 0
  fi
  if [[ -f $(node_env "$n") ]]; then
    i=$(node_get "$n" INDEX)
    [[ $(node_get "$n" HOLDER_PID) == "$hp" ]] || {
      # The node was restarted under us: start over (its old state is gone).
      rm -f "$(node_env "$n")"
    }
  fi
  if [[ ! -f $(node_env "$n") ]]; then
    # A node keeps its index (so its IP, and the IP in its serving
    # certificate) when its lab node is restarted.
    mkdir -p "$CL/index"
    if [[ -s $CL/index/$n ]]; then
      i=$(cat "$CL/index/$n")
    else
      i=$(($(cat "$CL/next-index" 2>/dev/null || echo 1)))
      ((i <= 200)) || die "more than 200 nodes"
      echo $((i + 1)) >"$CL/next-index"
      echo "$i" >"$CL/index/$n"
    fi
    printf 'NODE=%s\nINDEX=%s\nHOLDER_PID=%s\n' "$n" "$i" "$hp" >"$(node_env "$n")"
  fi
  node_net_up "$n" "$hp" "$i"
  # The node's own /var/log (pod logs, /var/log/containers): the kubelet
  # removes the log dirs of pods it does not know, so nodes must not share it.
  mkdir -p "$LAB/$n/root/var/log"
  in_node "$n" sh -c "mountpoint -q /var/log || mount --bind '$LAB/$n/root/var/log' /var/log" ||
    die "$n: could not bind-mount a private /var/log"
  probe_runtime "$n"
  if [[ -z $(node_get "$n" NEW_PATHS) ]]; then
    # What the lab node did not have: `down` removes only what the cluster
    # (kubelet, CNI, runtime for pods) made.
    local p new=()
    for p in /var/lib/kubelet /var/lib/cni /run/netns /etc/cni "$(node_get "$n" CNI_CONF_DIR)" $(node_get "$n" CNI_BIN_DIRS); do
      case $p in /var/lib/* | /etc/* | /run/*) in_node "$n" test -e "$p" || new+=("$p") ;; esac
    done
    node_set "$n" NEW_PATHS "- ${new[*]}"
  fi
  runc_shim_up "$n"
  cni_up "$n" "$i"
  import_tar "$n" "$(pause_tar "$(node_get "$n" SANDBOX_IMAGE)")"
  import_tar "$n" "$(busybox_tar)"
  [[ -s $PKI/kubelet-$n.crt ]] || node_certs "$n" "$i"
  write_kubelet_files "$n" "$i"
  start_kubelet "$n" "$i"
}

# teardown_node NODE: stop its kubelet and undo what setup_node did to the lab
# node (when it is still up). Pods were deleted through the API before.
teardown_node() {
  local n=$1 p hp ep ids ref id others ctr
  p=$(node_get "$n" KUBELET_PID || true)
  if [[ -n $p ]] && ours "$p" "--hostname-override=$n"; then
    stop_pid "kubelet on $n" "$p" 30
  fi
  hp=$(holder_of "$n" || true)
  if [[ -z $hp || $hp != "$(node_get "$n" HOLDER_PID)" ]]; then
    echo "$n: kubelet stopped (the lab node is gone or was restarted)"
    return 0
  fi
  ep=$(node_get "$n" ENDPOINT)
  if [[ -n $ep ]]; then
    # Pod sandboxes the kubelet left (only those it made: they carry its labels).
    ids=$(in_node "$n" timeout 30 "$GO_BIN/crictl" -r "$ep" -i "$ep" --timeout 10s pods -o json 2>/dev/null |
      jq -r '.items[]? | select(.labels["io.kubernetes.pod.uid"] != null) | .id' || true)
    for p in $ids; do
      in_node "$n" timeout 60 "$GO_BIN/crictl" -r "$ep" --timeout 30s stopp "$p" >/dev/null 2>&1 || true
      in_node "$n" timeout 60 "$GO_BIN/crictl" -r "$ep" --timeout 30s rmp -f "$p" >/dev/null 2>&1 ||
        echo "lab cluster: $n: could not remove pod sandbox $p" >&2
    done
    # The names the cluster brought, one by one (not through the CRI: its
    # RemoveImage drops every name of the image, and cri-dockerd's is a silent
    # no-op when given a name instead of an ID).
    # containerd's CRI also names each image by its ID: that name goes with
    # the last other name.
    for ref in $(node_get "$n" IMPORTED); do
      if [[ $(node_get "$n" RUNTIME) == cri-dockerd ]]; then
        in_node "$n" timeout 60 docker -H "unix://$DOCKER_SOCK" rmi "$ref" >/dev/null 2>&1 ||
          echo "lab cluster: $n: could not remove image $ref" >&2
        continue
      fi
      ctr=(timeout 60 "$(node_get "$n" CTR)" -a "$(node_get "$n" CTRD_SOCK)" -n k8s.io)
      id=$(in_node "$n" timeout 20 "$GO_BIN/crictl" -r "$ep" -i "$ep" inspecti -o json "$ref" 2>/dev/null | jq -r '.status.id // empty') ||
        id=""  # already gone (an interrupted earlier down): only its name is left to remove
      in_node "$n" "${ctr[@]}" images rm --sync "$(normalize_ref "$ref")" >/dev/null 2>&1 ||
        echo "lab cluster: $n: could not remove image $ref" >&2
      [[ -n $id ]] || continue
      # How many other names point at the same manifest as the ID name.
      others=$(in_node "$n" "${ctr[@]}" images ls 2>/dev/null | awk -v id="$id" '
        NR > 1 {digest[$1] = $3}
        END {d = digest[id]; if (d == "") exit; for (r in digest) if (r != id && digest[r] == d) n++; print n + 0}')
      [[ $others != 0 ]] || in_node "$n" "${ctr[@]}" images rm --sync "$id" >/dev/null 2>&1 || true
    done
  fi
  in_node "$n" sh -c "
    rm -f $(node_get "$n" CNI_CONF) $(node_get "$n" CNI_LINKS)
    ip link del cni0 2>/dev/null
    grep -q ' $KUBELET_DIR' /proc/self/mountinfo && umount -R $KUBELET_DIR
    grep ' $KUBELET_DIR/' /proc/self/mountinfo | awk '{print \$5}' | sort -r | xargs -r umount -l
    for p in $(node_get "$n" NEW_PATHS | tr ' ' '\n' | sort -r | tr '\n' ' '); do
      case \$p in $KUBELET_DIR | /var/lib/cni) rm -rf \$p ;; /*) rmdir \$p 2>/dev/null ;; esac
    done
    mountpoint -q /var/log && umount /var/log
    [ -z '$(node_get "$n" RUNC_SHIM)' ] || ! grep -q ' $(node_get "$n" RUNC_SHIM) ' /proc/self/mountinfo || umount '$(node_get "$n" RUNC_SHIM)'
    true" || echo "lab cluster: $n: cleanup inside the node failed" >&2
  rm -rf "${LAB:?}/$n/root/var/log"
  ip link del "imgdup${SLOT}n$(node_get "$n" INDEX)" 2>/dev/null || true
  echo "$n: kubelet stopped, node restored"
}

node_ready() {
  [[ $(kc get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}
