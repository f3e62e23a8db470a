#!/usr/bin/env bash
# Figure 6: the cluster scan on the lab's real cluster (etcd, kube-apiserver,
# a real kubelet in each of the five lab nodes), in a lab dir of its own.
#   - cold `lab cluster up` (nothing running; image archives cached);
#   - `kubectl imgdup` over the five nodes vs what a person runs instead: a
#     `kubectl debug node/X --image=<local busybox> -- du -sx <stores>`,
#     wait, logs, delete loop, node after node;
#   - per node, agent pod create -> report read (from the apiserver's audit
#     log): median and slowest;
#   - the agent's peak RSS inside a real pod (the scan pod's own spec, run
#     under busybox `time -v` with the binary mounted from this host);
#   - API requests per node from the audit log, against the plugin's `-v`.
# Usage: bench/real-cluster.sh [--quick]
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
figure_args "$@"
need hyperfine hyperfine
need jq jq

export IMGDUP_LAB_DIR=$WORK/lab-cluster
LAB=$REPO/testkit/lab/lab
NODES=(containerd2 dood k3s-docker runtime-switch two-containerds)
R=$(runs 5 2)
TMP=$(mktemp -d "$WORK/real-cluster.XXXXXX")
trap '"$LAB" down all >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

"$LAB" down all >/dev/null 2>&1 || true
static_dir=$(cd "$REPO" && scripts/build-static | tail -n 1)
log "cold lab cluster up in $IMGDUP_LAB_DIR"
t0=$(date +%s.%N)
up_out=$("$LAB" cluster up)
up_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
export KUBECONFIG=${up_out##*KUBECONFIG=}
AUDIT=$IMGDUP_LAB_DIR/cluster/logs/audit.log
PLUGIN=$REL/kubectl-imgdup
[[ -x $PLUGIN ]] || die "$PLUGIN is missing (bench/run builds it)"
PATH=$(dirname "$PLUGIN"):$PATH
export PATH

image=ghcr.io/imgdup/kubectl-imgdup:$("$PLUGIN" --version | awk '{print $2}')
"$LAB" exec k3s-docker -- "$REPO/scripts/agent-image" --binary "$static_dir/kubectl-imgdup" >/dev/null
"$LAB" exec k3s-docker -- docker save -o "$IMGDUP_LAB_DIR/agent-image.tar" "$image"
"$LAB" cluster load-image "$IMGDUP_LAB_DIR/agent-image.tar" >/dev/null

# Ours, and the loop a person would type, back to back.
hf "$TMP/scan.json" --runs "$R" --warmup 1 -n imgdup "kubectl imgdup -n imgdup -o json"
cat >"$TMP/debug-loop.sh" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
for node in "$@"; do
  # du of the stores a node may have (a missing one is not an error here).
  said=$(kubectl debug "node/$node" -n imgdup --profile=general --image=imgdup.test/busybox:1 \
    --image-pull-policy=Never -- sh -c 'du -sx /host/var/lib/docker /host/var/lib/containerd \
    /host/var/lib/rancher/k3s/agent/containerd 2>&1; exit 0' 2>&1)
  pod=$(sed -n 's/^Creating debugging pod \([^ ]*\) .*/\1/p' <<<"$said")
  [[ -n $pod ]] || { echo "kubectl debug: $said" >&2; exit 1; }
  kubectl wait -n imgdup --for=jsonpath='{.status.phase}'=Succeeded --timeout=120s "pod/$pod" >/dev/null
  kubectl logs -n imgdup "$pod" >/dev/null
  kubectl delete pod -n imgdup "$pod" --wait=false >/dev/null
done
EOF
chmod +x "$TMP/debug-loop.sh"
hf "$TMP/loop.json" --runs "$R" -n loop "$TMP/debug-loop.sh ${NODES[*]}"
n=${#NODES[@]}
ours_node=$(awk -v m="$(median "$TMP/scan.json" imgdup)" -v n="$n" 'BEGIN {print m / n}')
loop_node=$(awk -v m="$(median "$TMP/loop.json" loop)" -v n="$n" 'BEGIN {print m / n}')

# One audited run with -v: create -> log per pod, and requests per node.
mark=$(wc -l <"$AUDIT")
kubectl imgdup -n imgdup -o json -v >"$TMP/run.json" 2>/dev/null
sleep 1 # the audit backend writes in batches
tail -n +"$((mark + 1))" "$AUDIT" | jq -c 'select(.user.username == "imgdup-lab-admin" and .stage == "ResponseComplete")' >"$TMP/audit.jsonl"
read -r lat_med lat_max < <(jq -rs '
  def t: (.[0:19] + "Z" | fromdate) + (.[19:-1] | if . == "" then 0 else "0" + . | tonumber end);
  [ .[] | select(.objectRef.resource == "pods" and .objectRef.name != null) ] | group_by(.objectRef.name)
  | map(select(any(.[]; .verb == "create" and (.requestURI | test("dryRun") | not)))
        | ((map(select(.objectRef.subresource == "log")) | .[0].stageTimestamp | t)
           - (map(select(.verb == "create")) | .[0].requestReceivedTimestamp | t)))
  | sort | "\(.[(length - 1) / 2 | floor]) \(.[-1])"' "$TMP/audit.jsonl")
audited=$(jq -s 'length' "$TMP/audit.jsonl")
counted=$(jq '.apiCalls | .preflight + .list + .watch + .create + .get + .log + .delete' "$TMP/run.json")

# The agent's peak RSS in the real pod: the scan pod as --dry-run prints it,
# run by busybox `time -v` with the static binary mounted read-only.
rss_max=0
for node in "${NODES[@]}"; do
  kubectl imgdup --dry-run "$node" -n imgdup -o json |
    jq --arg dir "$static_dir" '.metadata.name += "-rss" | .metadata.labels["app.kubernetes.io/managed-by"] = "imgdup-bench"
      | .spec.containers[0].image = "imgdup.test/busybox:1" | .spec.containers[0].imagePullPolicy = "Never"
      | .spec.containers[0].command = ["time", "-v", "/bench/kubectl-imgdup"] + .spec.containers[0].command[1:]
      | .spec.volumes += [{"name": "bench", "hostPath": {"path": $dir}}]
      | .spec.containers[0].volumeMounts += [{"name": "bench", "mountPath": "/bench", "readOnly": true}]' >"$TMP/rss-pod.json"
  pod=$(jq -r .metadata.name "$TMP/rss-pod.json")
  kubectl create -f "$TMP/rss-pod.json" >/dev/null
  kubectl wait -n imgdup --for=jsonpath='{.status.phase}'=Succeeded --timeout=120s "pod/$pod" >/dev/null
  kb=$(kubectl logs -n imgdup "$pod" | awk -F': ' '/Maximum resident set size/ {print $2}')
  kubectl delete pod -n imgdup "$pod" --wait=false >/dev/null
  log "$node: agent peak RSS $kb KiB"
  ((kb > rss_max)) && rss_max=$kb
done

summary "| 6. real cluster (5 real kubelets): \`kubectl imgdup\` vs a \`kubectl debug node\`/wait/logs/delete loop, per node | $(fmt_s "$ours_node") | $(fmt_s "$loop_node") | $(ratio "$ours_node" "$loop_node") | faster | $(verdict "$(lt "$ours_node" "$loop_node")") |"
cat <<EOF
## 6. The real cluster (lab: etcd + kube-apiserver $(kubectl version -o json | jq -r .serverVersion.gitVersion), a real kubelet in each of 5 lab nodes)

Rerun: \`bench/real-cluster.sh\` (its own lab dir \`$IMGDUP_LAB_DIR\`; hyperfine --runs $R; kubectl $(kubectl version --client -o json | jq -r .clientVersion.gitVersion)).

| what | figure |
|---|---|
| cold \`lab cluster up\` (5 lab nodes and their daemons, etcd, apiserver, controller-manager, 5 kubelets Ready; image archives cached) | $(fmt_s "$up_s") |
| \`kubectl imgdup -n imgdup -o json\`, 5 nodes (one run, all pods at once) | $(triple "$TMP/scan.json" imgdup) |
| peer: \`kubectl debug node/X --image=<local busybox> -- du -sx <3 stores>\`, \`kubectl wait\`, \`kubectl logs\`, \`kubectl delete\`, node after node | $(triple "$TMP/loop.json" loop) |
| per node: ours / the loop | $(fmt_s "$ours_node") / $(fmt_s "$loop_node") (**$(ratio "$loop_node" "$ours_node")** as long for the loop) |
| agent pod create → report read, per node (audit log timestamps): median / slowest | $(fmt_s "$lat_med") / $(fmt_s "$lat_max") |
| agent peak RSS in the pod (busybox \`time -v\`, largest of 5 nodes) | $(mib "$rss_max") |
| API requests of one run: the apiserver's audit log / the plugin's \`-v\` | $audited / $counted ($(awk -v a="$audited" -v n="$n" 'BEGIN {printf "%.1f", a / n}') per node, preflight and lists included) |

- The loop only sizes the stores (\`du\`); it proves nothing about which copy is a duplicate. \`kubectl imgdup\` reads every store's images through its runtime and judges them, and still takes a fraction of the loop's time per node, because its pods run at once (concurrency 10) and it reads each pod's phase from one watch instead of one \`kubectl wait\` per pod.
EOF
