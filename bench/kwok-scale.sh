#!/usr/bin/env bash
# Figure 7: `kubectl imgdup` over 1,000 kwok nodes on the lab's real
# kube-apiserver (etcd, kube-apiserver and kube-controller-manager v1.36.3,
# one real kubelet on k3s-docker), in a lab dir of its own. kwok
# (sigs.k8s.io/kwok, built by scripts/install-go control-plane) plays the
# kubelet of N Node objects with testkit/lab/kwok/: each node Ready with a
# Lease renewed every 10 s, each agent pod Running at once and Succeeded
# with exit code 0 after 1 s (the agent's run), its pods/log served by kwok
# through the apiserver's kubelet proxy (TLS, a serving certificate of the
# lab CA). What the figure holds:
#   - cold `lab cluster up k3s-docker`, kwok's start, N Nodes created and Ready;
#   - t, what one agent pod needs on this server: the 1 s of the Stage plus
#     the create, the two status changes kwok writes, the watch events, the
#     log read through the apiserver and the delete (audit log, median pod
#     of a --concurrency 1 run over a few nodes, create received -> delete
#     answered);
#   - wall time at each concurrency against the ideal ceil(N/c)·t;
#   - requests per node: the plugin's apiCalls.maxPerNode, and the audit
#     log's requests of the admin user (imgdup-lab-admin) over N, preflight
#     and lists included; kwok's own requests are not audited (its user is in
#     system:nodes, like the kubelets it stands for);
#   - the plugin's peak RSS (GNU time), and agent pods left after each run.
#
# Usage: bench/kwok-scale.sh [--quick]   (Markdown on stdout, progress on stderr)
#   --quick  N=100, c=10 and 50, one run each
# Env: NODES (1000), CONCURRENCY ("10 50"), RUNS (3), KWOK_PORT (10250),
#      IMGDUP_KWOK_LAB_DIR (default $IMGDUP_BENCH_DIR/lab-kwok).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
figure_args "$@"
need jq jq
need curl curl
need /usr/bin/time time
need python3 python3
command -v kwok >/dev/null || die "kwok is missing: bash scripts/install-go control-plane"

if [[ $QUICK == 1 ]]; then
  N=${NODES:-100} R=${RUNS:-1}
else
  N=${NODES:-1000} R=${RUNS:-3}
fi
read -ra CS <<<"${CONCURRENCY:-10 50}"
STAGE_S=1   # testkit/lab/kwok/stages.yaml: imgdup-agent-run's delay
PROBE=5     # nodes of the --concurrency 1 run that measures t
((N >= PROBE)) || die "NODES must be at least $PROBE"
export IMGDUP_LAB_DIR=${IMGDUP_KWOK_LAB_DIR:-$WORK/lab-kwok}
LAB=$REPO/testkit/lab/lab
KWOK_CONF=$REPO/testkit/lab/kwok
PLUGIN=$REL/kubectl-imgdup
[[ -x $PLUGIN ]] || die "$PLUGIN is missing (bench/run builds it)"
SELECTOR=imgdup.bench/kwok=true
AGENTS=app.kubernetes.io/managed-by=kubectl-imgdup
TMP=$(mktemp -d "$WORK/kwok-scale.XXXXXX")
KWOK_PID=
cleanup() {
  # The cluster goes first, while kwok still removes the pods of its nodes.
  "$LAB" down all >/dev/null 2>&1 || true
  if [[ -n $KWOK_PID ]]; then
    kill "$KWOK_PID" 2>/dev/null || true
    wait "$KWOK_PID" 2>/dev/null || true # kwok exits 1 on SIGTERM
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {print b - a}'; }
# 1000 -> 1,000
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }

"$LAB" down all >/dev/null 2>&1 || true
log "cold lab cluster up k3s-docker in $IMGDUP_LAB_DIR"
t0=$(date +%s.%N)
up_out=$("$LAB" cluster up k3s-docker)
up_s=$(since "$t0")
export KUBECONFIG=${up_out##*KUBECONFIG=}
CL=$IMGDUP_LAB_DIR/cluster
AUDIT=$CL/logs/audit.log
api_url=$(sed -n 's/^API_URL=//p' "$CL/cluster.env")
NODE_IP=${api_url#https://}
NODE_IP=${NODE_IP%:*}
PORT=${KWOK_PORT:-10250}
! ss -ltnH "( sport = :$PORT )" | awk '{print $4}' | grep -qE "^(\*|0\.0\.0\.0|\[::\]|$NODE_IP):$PORT$" ||
  die "$NODE_IP:$PORT is taken (ss -ltnp); set KWOK_PORT"

# kwok: its own user, in system:nodes so that the audit policy leaves it out
# as it leaves out the kubelets; a serving certificate the apiserver trusts.
t0=$(date +%s.%N)
kwok_kc=$("$LAB" cluster user imgdup-kwok system:masters system:nodes | sed -n 's/^KUBECONFIG=//p')
(
  PKI=$CL/pki
  # shellcheck source=testkit/lab/cluster.d/pki.sh
  source "$REPO/testkit/lab/cluster.d/pki.sh"
  issue kwok-serving "/CN=imgdup-kwok" serverAuth "IP:$NODE_IP"
)
report='{"apiVersion":"imgdup/v1","kind":"NodeReport","node":"x","verdict":"ok","reason":null,"stores":[],"images":[],"reclaimableBytes":0,"pods":[],"findings":[],"kubeletEndpoint":null,"chain":null}'
printf '%s stdout F %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" "$report" >"$TMP/agent.log"
# In $TMP: logs.yaml names agent.log relative to kwok's working directory.
(trap - EXIT INT TERM && cd "$TMP" && exec kwok --v=WARN --kubeconfig "$kwok_kc" \
  -c "$KWOK_CONF/kwok.yaml" -c "$KWOK_CONF/stages.yaml" -c "$KWOK_CONF/logs.yaml" \
  --node-ip "$NODE_IP" --node-port "$PORT" --server-address "$NODE_IP:$PORT" \
  --tls-cert-file "$CL/pki/kwok-serving.crt" --tls-private-key-file "$CL/pki/kwok-serving.key" \
  </dev/null >"$TMP/kwok.log" 2>&1) &
KWOK_PID=$!
healthz() { curl -sf --max-time 2 --cacert "$CL/pki/ca.crt" "https://$NODE_IP:$PORT/healthz" >/dev/null; }
for _ in $(seq 100); do
  healthz && break
  kill -0 "$KWOK_PID" 2>/dev/null || die "kwok exited: $(tail -5 "$TMP/kwok.log")"
  sleep 0.2
done
healthz || die "kwok's https://$NODE_IP:$PORT/healthz does not answer: $(tail -5 "$TMP/kwok.log")"
kwok_s=$(since "$t0")
log "kwok $(kwok --version | awk '{print $3}') serving https://$NODE_IP:$PORT (pid $KWOK_PID)"

# N Nodes for kwok to manage (its annotation), labelled for -l, tainted as
# kwok's docs do (the agent pods tolerate every taint). Posted by 4 clients
# on kept-alive connections: `kubectl create -f` spends about 0.3 s of its
# own per object here (1,000 nodes: minutes), the apiserver 5-15 ms.
log "creating $N Node objects"
t0=$(date +%s.%N)
python3 - "$NODE_IP" "${api_url##*:}" "$CL/pki" "$N" "$SELECTOR" <<'PY' || die "creating the nodes failed"
import http.client, json, ssl, sys, threading
host, port, pki, n, selector = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
ctx = ssl.create_default_context(cafile=f"{pki}/ca.crt")
ctx.load_cert_chain(f"{pki}/admin.crt", f"{pki}/admin.key")
key, value = selector.split("=", 1)
errors = []

def node(name):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake"},
                         "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                    "kubernetes.io/arch": "amd64", "type": "kwok", key: value}},
            "spec": {"taints": [{"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}]}}

def post(first, step):
    conn = http.client.HTTPSConnection(host, port, context=ctx)
    for i in range(first, n + 1, step):
        conn.request("POST", "/api/v1/nodes", json.dumps(node(f"kwok-{i:04d}")), {"Content-Type": "application/json"})
        r = conn.getresponse()
        body = r.read()
        if r.status != 201:
            errors.append(f"kwok-{i:04d}: HTTP {r.status}: {body[:200]!r}")

workers = [threading.Thread(target=post, args=(w + 1, 4)) for w in range(4)]
for w in workers: w.start()
for w in workers: w.join()
if errors:
    sys.exit("\n".join(errors[:5]))
PY
create_s=$(since "$t0")
# One list a second: `kubectl wait node -l` waits for the nodes one after
# another (3 min for 1,000 nodes that were all Ready within 10 s).
ready=0
for _ in $(seq 600); do
  ready=$(kubectl get nodes -l "$SELECTOR" -o json |
    jq '[.items[] | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length')
  ((ready == N)) && break
  sleep 1
done
((ready == N)) || die "only $ready of $N kwok nodes Ready after 600 s: $(tail -3 "$TMP/kwok.log")"
ready_s=$(since "$t0")
log "$N nodes created in $(fmt_s "$create_s"), all Ready after $(fmt_s "$ready_s")"

# The audit log's view of the admin user since line MARK (one request per
# auditID: a watch has a ResponseStarted and a ResponseComplete event).
audit_since() {
  sleep 1 # the audit backend writes in batches
  tail -n +"$(($1 + 1))" "$AUDIT" | jq -c 'select(.user.username == "imgdup-lab-admin")' |
    jq -sc 'group_by(.auditID) | map(.[-1])'
}
# What one run cost the server, from audit_since's array: requests, watch
# connections, and each agent pod's life (create received -> delete answered;
# the preflight's dry-run create is not a pod).
# shellcheck disable=SC2016 # a jq program
AUDIT_RUN='
  def t: (.[0:19] + "Z" | fromdate) + (.[19:-1] | if . == "" then 0 else "0" + . | tonumber end);
  ([ .[] | select(.objectRef.resource == "pods" and .objectRef.name != null and .objectRef.subresource == null
                  and (.requestURI | test("dryRun") | not)) ]
   | group_by(.objectRef.name)
   | map(select(any(.[]; .verb == "create") and any(.[]; .verb == "delete"))
         | (map(select(.verb == "delete"))[0].stageTimestamp | t) - (map(select(.verb == "create"))[0].requestReceivedTimestamp | t))
   | sort) as $pods
  | {total: length, watches: (map(select(.verb == "watch")) | length), pods: ($pods | length),
     median: $pods[($pods | length - 1) / 2 | floor], sum: ($pods | add)}'
# The apiserver's count of pod watches it closed because their reader fell
# behind (kube-runtime's watcher reconnects without telling the plugin).
closed_watches() {
  kubectl get --raw /metrics | awk -F' ' '/^apiserver_terminated_watchers_total\{group="",resource="pods"\}/ {n = $2} END {print n + 0}'
}
agents_left() { kubectl get pods -A -l "$AGENTS" --no-headers 2>/dev/null | wc -l; }

# t: one agent pod at a time over the first PROBE nodes.
probe_nodes=()
for ((i = 1; i <= PROBE; i++)); do probe_nodes+=("$(printf 'kwok-%04d' "$i")"); done
mark=$(wc -l <"$AUDIT")
"$PLUGIN" --kubeconfig "$KUBECONFIG" -n imgdup -o json -v --concurrency 1 "${probe_nodes[@]}" \
  >"$TMP/probe.json" 2>"$TMP/probe.err" || die "the probe run failed: $(tail -3 "$TMP/probe.err")"
T=$(audit_since "$mark" | jq -r "$AUDIT_RUN | .median")
[[ $T != null && -n $T ]] || die "no agent pod's create and delete in the audit log of the probe run"
log "t = $(fmt_s "$T") per agent pod (the Stage's ${STAGE_S} s included)"

ROWS=() WATCHES=()
left_max=0
mmm() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[1], a[int((NR + 1) / 2)], a[NR]}'; }
for c in "${CS[@]}"; do
  ideal=$(awk -v n="$N" -v c="$c" -v t="$T" 'BEGIN {print int((n + c - 1) / c) * t}')
  ideal_stage=$(awk -v n="$N" -v c="$c" -v t="$STAGE_S" 'BEGIN {print int((n + c - 1) / c) * t}')
  walls=() pods=() flights=() rss=0 max_calls=0 audited_max=0 watches=()
  for ((i = 1; i <= R; i++)); do
    log "c=$c run $i/$R over $N kwok nodes (ideal $(fmt_s "$ideal"))"
    closed0=$(closed_watches)
    mark=$(wc -l <"$AUDIT")
    t0=$(date +%s.%N)
    code=0
    /usr/bin/time -v -o "$TMP/time.txt" "$PLUGIN" --kubeconfig "$KUBECONFIG" -n imgdup -o json -v \
      --concurrency "$c" -l "$SELECTOR" >"$TMP/out.json" 2>"$TMP/err.txt" || code=$?
    wall=$(since "$t0")
    [[ $code == 0 ]] || die "kubectl-imgdup exited $code: $(tail -5 "$TMP/err.txt")"
    ok=$(jq '[.nodes[] | select(.verdict == "ok")] | length' "$TMP/out.json")
    [[ $ok == "$N" ]] || die "only $ok of $N nodes ok: $(jq -c '[.nodes[] | select(.verdict != "ok") | .reason] | group_by(.[0:40]) | map({n: length, reason: .[0]}) | .[0:3]' "$TMP/out.json")"
    audit_since "$mark" | jq -c "$AUDIT_RUN" >"$TMP/audit-run.json"
    closed=$(($(closed_watches) - closed0))
    left=$(agents_left)
    ((left > left_max)) && left_max=$left
    r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time.txt")
    ((r > rss)) && rss=$r
    read -r calls counted counted_watch < <(jq -r '.apiCalls | "\(.maxPerNode) \(.preflight + .list + .watch + .create + .get + .log + .delete) \(.watch)"' "$TMP/out.json")
    ((calls > max_calls)) && max_calls=$calls
    read -r audited audited_watch pod_med pod_sum < <(jq -r '"\(.total) \(.watches) \(.median) \(.sum)"' "$TMP/audit-run.json")
    ((audited > audited_max)) && audited_max=$audited
    walls+=("$wall") pods+=("$pod_med")
    flights+=("$(awk -v s="$pod_sum" -v w="$wall" 'BEGIN {print s / w}')")
    watches+=("$audited_watch/$counted_watch/$closed")
    log "  $(fmt_s "$wall"), $(mib "$r"), one pod $(fmt_s "$pod_med") (median), ${flights[-1]} pods in flight on average, $calls calls at most per node, $audited requests audited / $counted counted by the plugin (watches $audited_watch / $counted_watch; pod watches the apiserver closed: $closed), $left agent pods left"
  done
  read -r wmin wmed wmax <<<"$(mmm "${walls[@]}")"
  read -r _ pmed _ <<<"$(mmm "${pods[@]}")"
  read -r fmin fmed fmax <<<"$(mmm "${flights[@]}")"
  over=$(awk -v w="$wmed" -v i="$ideal" 'BEGIN {printf "%+.1f %%", (w / i - 1) * 100}')
  okw=$(awk -v w="$wmed" -v i="$ideal" 'BEGIN {print (w <= 1.15 * i) ? 1 : 0}')
  per=$(awk -v a="$audited_max" -v n="$N" 'BEGIN {printf "%.2f", a / n}')
  okc=$(awk -v m="$max_calls" -v p="$per" 'BEGIN {print (m <= 6 && p <= 6) ? 1 : 0}')
  okr=$(lt "$rss" $((200 * 1024)))
  ROWS+=("| $c | $(fmt_s "$ideal") ($(fmt_s "$ideal_stage")) | $(fmt_s "$wmin") / $(fmt_s "$wmed") / $(fmt_s "$wmax") | $over ($(verdict "$okw")) | $(fmt_s "$pmed") | $(printf '%.1f / %.1f / %.1f' "$fmin" "$fmed" "$fmax") | $max_calls max (plugin), $per audited per node ($(verdict "$okc")) | $(mib "$rss") ($(verdict "$okr")) |")
  WATCHES+=("c=$c: ${watches[*]}")
  summary "| 7. kwok: $N nodes on the real kube-apiserver at c=$c vs ideal ceil(N/c)·t | $(fmt_s "$wmin") / $(fmt_s "$wmed") / $(fmt_s "$wmax"), $(mib "$rss"), $max_calls calls/node, $per audited/node | $(fmt_s "$ideal") (ideal, t = $(fmt_s "$T")) | $(ratio "$wmed" "$ideal") | ≤ 1.15×, ≤ 6 calls, < 200 MB, 0 pods left | $(verdict "$((okw & okc & okr & (left_max == 0)))") |"
done
kwok_errors=$(grep -c '"level":"ERROR"' "$TMP/kwok.log" || true)
watch_note=$(printf '%s; ' "${WATCHES[@]}")

cat <<EOF
## 7. $(thousands "$N") kwok nodes on the real kube-apiserver

Rerun: \`bench/kwok-scale.sh\` (its own lab dir \`$IMGDUP_LAB_DIR\`; $R run(s) per concurrency; \`kubectl imgdup -n imgdup -o json -v --concurrency C -l $SELECTOR\`). The server is the lab's etcd + kube-apiserver $(kubectl version -o json 2>/dev/null | jq -r .serverVersion.gitVersion) with kube-controller-manager and one real kubelet (k3s-docker); the $N nodes are Node objects that kwok $(kwok --version | awk '{print $3}') keeps Ready (\`testkit/lab/kwok/\`: a Lease per node renewed every 10 s, each agent pod Running at once and Succeeded after ${STAGE_S} s, its report served on the kubelet API that \`pods/log\` is proxied to).

| step | time |
|---|---|
| cold \`lab cluster up k3s-docker\` (etcd, apiserver, controller-manager, 1 real kubelet Ready) | $(fmt_s "$up_s") |
| kwok started (user, serving certificate, \`/healthz\` answering) | $(fmt_s "$kwok_s") |
| $N Nodes created (4 clients posting) / all Ready (kwok's node-initialize) | $(fmt_s "$create_s") / $(fmt_s "$ready_s") |
| t: one agent pod on this server (audit log, create received → delete answered, median of a \`--concurrency 1\` run over $PROBE nodes) | $(fmt_s "$T") (the Stage's ${STAGE_S} s included) |

| c | ideal ceil(N/c)·t (with t = ${STAGE_S} s) | wall min / median / max | over ideal (target ≤ +15 %) | one pod during the run (median) | pods in flight, mean (min / median / max run) | API requests per node (target ≤ 6) | peak RSS (target < 200 MB) |
|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

- **One pod during the run** is the same audit measure as t, over the run's N pods: with c pods at once the server (and kwok, on the same 2 CPUs) answers each step later than for one pod alone. **Pods in flight** is the sum of those lifetimes over the wall time: how many of its c slots the plugin kept busy; wall ≈ ceil(N/c) × (one pod during the run) × c / (pods in flight).
- Requests: "max (plugin)" is \`apiCalls.maxPerNode\` (create, log, delete of its agent pod); "audited" is every request of the admin user in the apiserver's audit log during the largest run over N (preflight reviews, node and pod lists and the watch included).
- Watch connections per run, audited / counted in the plugin's \`apiCalls.watch\` / pod watches the apiserver closed for falling behind (\`apiserver_terminated_watchers_total{resource="pods"}\`, any client): ${watch_note%; }.
- Agent pods left after the runs (\`kubectl get pods -A -l $AGENTS\`): **$left_max**. kwok logged $kwok_errors error line(s).
EOF
