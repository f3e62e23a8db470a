# shellcheck shell=bash
# Sourced by testkit/lab/cluster (not run): the control plane on this host.
# etcd (127.0.0.1), kube-apiserver (the bridge address only) and, when its
# binary exists, kube-controller-manager, each started once under setsid with
# its pid in $CL/<name>.pid; and the objects `up` creates through the API
# (bootstrap_objects). Apart because it is the host-side half of the cluster;
# the node-side half is kubelet.sh.

etcd_pid() { local p; p=$(cat "$CL/etcd.pid" 2>/dev/null) && ours "$p" "--data-dir=$CL/etcd" && echo "$p"; }
apiserver_pid() { local p; p=$(cat "$CL/kube-apiserver.pid" 2>/dev/null) && ours "$p" "--client-ca-file=$PKI/ca.crt" && echo "$p"; }

port_free() { ! ss -ltnH "( sport = :$2 )" 2>/dev/null | awk '{print $4}' | grep -qE "^(\*|0\.0\.0\.0|\[::\]|$1):$2$"; }

etcd_healthy() {
  curl -sf --max-time 3 --cacert "$PKI/ca.crt" --cert "$PKI/apiserver-etcd-client.crt" \
    --key "$PKI/apiserver-etcd-client.key" "https://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'
}

start_etcd() {
  local p deadline
  if p=$(etcd_pid) && etcd_healthy; then return 0; fi
  [[ -x $ETCD ]] || die "etcd: $ETCD is missing (run: bash scripts/install-go control-plane)"
  port_free 127.0.0.1 "$ETCD_PORT" && port_free 127.0.0.1 "$ETCD_PEER_PORT" ||
    die "etcd: 127.0.0.1:$ETCD_PORT or :$ETCD_PEER_PORT is taken by another process (ss -ltnp); pick another IMGDUP_CLUSTER_SLOT"
  log "starting etcd on 127.0.0.1:$ETCD_PORT (log: $LOGS/etcd.log)"
  setsid "$ETCD" --name=imgdup-lab --data-dir="$CL/etcd" \
    --listen-client-urls="https://127.0.0.1:$ETCD_PORT" --advertise-client-urls="https://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="imgdup-lab=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state=new \
    --cert-file="$PKI/etcd-server.crt" --key-file="$PKI/etcd-server.key" \
    --client-cert-auth --trusted-ca-file="$PKI/ca.crt" \
    --listen-metrics-urls="http://127.0.0.1:$((ETCD_PORT + 2))" \
    --snapshot-count=10000 7>&- </dev/null >>"$LOGS/etcd.log" 2>&1 &
  echo $! >"$CL/etcd.pid"
  p=$!
  deadline=$((SECONDS + START_TIMEOUT))
  until etcd_healthy; do
    alive "$p" || fail_component etcd "$LOGS/etcd.log" "exited while starting"
    ((SECONDS < deadline)) || fail_component etcd "$LOGS/etcd.log" "not healthy after ${START_TIMEOUT}s"
    sleep 0.5
  done
  log "etcd ready (pid $p)"
}

apiserver_ready() {
  curl -sf --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "$API_URL/readyz" 2>/dev/null | grep -qx ok
}

# The audit log records who asked for what: the tests count the requests of
# a user (e.g. that a user without pods/log made no pod create). Metadata
# level, only for people: the kubelets, service accounts and the control
# plane's own clients would drown them.
write_audit_policy() {
  cat >"$CL/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    userGroups: [system:nodes, system:serviceaccounts]
  - level: None
    users: [system:apiserver, system:kube-controller-manager, system:kube-scheduler]
  - level: Metadata
EOF
}

start_apiserver() {
  local p deadline
  if p=$(apiserver_pid) && apiserver_ready; then return 0; fi
  [[ -x $KUBE_APISERVER ]] || die "kube-apiserver: $KUBE_APISERVER is missing (run: bash scripts/install-go control-plane)"
  port_free "$HOST_IP" "$API_PORT" || die "kube-apiserver: $HOST_IP:$API_PORT is taken by another process"
  write_audit_policy
  log "starting kube-apiserver on $API_URL (log: $LOGS/kube-apiserver.log, audit: $AUDIT_LOG)"
  setsid "$KUBE_APISERVER" \
    --bind-address="$HOST_IP" --advertise-address="$HOST_IP" --secure-port="$API_PORT" \
    --etcd-servers="https://127.0.0.1:$ETCD_PORT" --etcd-cafile="$PKI/ca.crt" \
    --etcd-certfile="$PKI/apiserver-etcd-client.crt" --etcd-keyfile="$PKI/apiserver-etcd-client.key" \
    --client-ca-file="$PKI/ca.crt" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" \
    --kubelet-preferred-address-types=InternalIP \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction,PodSecurity \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --allow-privileged=true --profiling=false \
    --audit-policy-file="$CL/audit-policy.yaml" --audit-log-path="$AUDIT_LOG" \
    --audit-log-maxsize=100 --audit-log-maxbackup=1 --audit-log-format=json \
    7>&- </dev/null >>"$LOGS/kube-apiserver.log" 2>&1 &
  echo $! >"$CL/kube-apiserver.pid"
  p=$!
  deadline=$((SECONDS + START_TIMEOUT))
  until apiserver_ready; do
    alive "$p" || fail_component kube-apiserver "$LOGS/kube-apiserver.log" "exited while starting"
    ((SECONDS < deadline)) || fail_component kube-apiserver "$LOGS/kube-apiserver.log" "/readyz not ok after ${START_TIMEOUT}s"
    sleep 0.5
  done
  log "kube-apiserver ready (pid $p)"
}

# What a kubeadm cluster has, minus what needs the controller-manager: the
# apiserver's client identity may call the kubelets' API (logs, exec), the
# imgdup namespace, and in each namespace the ServiceAccount "default" (the
# ServiceAccount admission plugin rejects any pod whose service account does
# not exist, even with automountServiceAccountToken: false) and the
# kube-root-ca.crt ConfigMap that token volumes project.
bootstrap_objects() {
  local ns deadline=$((SECONDS + 60)) ca
  until kc get namespace kube-system kube-public kube-node-lease default >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail_component kube-apiserver "$LOGS/kube-apiserver.log" "the system namespaces did not appear within 60s"
    sleep 0.5
  done
  ca=$(sed 's/^/    /' "$PKI/ca.crt")
  {
    cat <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kube-apiserver-kubelet-client
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kubelet-api-admin"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}
---
apiVersion: v1
kind: Namespace
metadata:
  name: $IMGDUP_NS
  labels:
    pod-security.kubernetes.io/enforce: privileged
EOF
    for ns in default kube-system kube-public kube-node-lease "$IMGDUP_NS"; do
      cat <<EOF
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: $ns}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: kube-root-ca.crt, namespace: $ns}
data:
  ca.crt: |
$ca
EOF
    done
  } | kc apply -f - >"$LOGS/bootstrap.log" 2>&1 ||
    fail_component kubectl "$LOGS/bootstrap.log" "kubectl apply of the bootstrap objects failed"
}

kcm_pid() { local p; p=$(cat "$CL/kube-controller-manager.pid" 2>/dev/null) && ours "$p" "--kubeconfig=$CL/controller-manager.kubeconfig" && echo "$p"; }

# The controller-manager is optional. Without it the cluster still runs pods
# (they set nodeName; no scheduler either), but nothing does what its
# controllers do: a namespace created later gets no ServiceAccount "default"
# (the ServiceAccount admission plugin then rejects every pod in it: 'error
# looking up service account NS/default: serviceaccount "default" not found')
# and no kube-root-ca.crt; a deleted namespace stays Terminating; a node whose
# kubelet died stays Ready; pods of a deleted node are never collected; the
# not-ready taint that TaintNodesByCondition puts on each new node stays.
start_controller_manager() {
  local p
  if p=$(kcm_pid); then return 0; fi
  if [[ ! -x $KUBE_CONTROLLER_MANAGER ]]; then
    log "no kube-controller-manager ($KUBE_CONTROLLER_MANAGER): new namespaces get no ServiceAccount, deleted ones stay Terminating, dead kubelets' nodes stay Ready"
    return 0
  fi
  [[ -s $PKI/controller-manager.crt ]] || issue controller-manager "/CN=system:kube-controller-manager" clientAuth
  write_kubeconfig "$CL/controller-manager.kubeconfig" system:kube-controller-manager \
    "$PKI/controller-manager.crt" "$PKI/controller-manager.key"
  log "starting kube-controller-manager (log: $LOGS/kube-controller-manager.log)"
  setsid "$KUBE_CONTROLLER_MANAGER" --kubeconfig="$CL/controller-manager.kubeconfig" \
    --leader-elect=false --secure-port=0 --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-name=imgdup-lab --service-cluster-ip-range="$SERVICE_CIDR" \
    7>&- </dev/null >>"$LOGS/kube-controller-manager.log" 2>&1 &
  echo $! >"$CL/kube-controller-manager.pid"
  p=$!
  sleep 2
  alive "$p" || fail_component kube-controller-manager "$LOGS/kube-controller-manager.log" "exited while starting"
}
